// C++ through libstdc++: exceptions unwinding across shared objects (the
// unwinder reads .eh_frame and restores registers), RTTI, virtual calls,
// containers, streams and static constructors.
#include <algorithm>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <vector>

struct Shape {
	virtual ~Shape() = default;
	virtual double area() const = 0;
	virtual std::string name() const = 0;
};
struct Rect : Shape {
	double w, h;
	Rect(double w, double h) : w(w), h(h) {}
	double area() const override { return w * h; }
	std::string name() const override { return "rect"; }
};
struct Circle : Shape {
	double r;
	explicit Circle(double r) : r(r) {}
	double area() const override { return 3.14159265358979 * r * r; }
	std::string name() const override { return "circle"; }
};

struct Tracker {
	std::string what;
	explicit Tracker(std::string w) : what(std::move(w)) { std::cout << "construct " << what << "\n"; }
	~Tracker() { std::cout << "destroy " << what << "\n"; }
};

static Tracker global("global");

static int depth(int n)
{
	Tracker t("level " + std::to_string(n));
	if (n == 0)
		throw std::runtime_error("bottom reached");
	return depth(n - 1) + 1;
}

int main()
{
	std::vector<std::unique_ptr<Shape>> shapes;
	for (int i = 1; i <= 4; i++) {
		shapes.push_back(std::make_unique<Rect>(i, i + 0.5));
		shapes.push_back(std::make_unique<Circle>(i * 0.75));
	}
	std::sort(shapes.begin(), shapes.end(), [](auto &a, auto &b) { return a->area() < b->area(); });
	for (auto &s : shapes)
		std::cout << std::setw(7) << s->name() << " " << std::fixed << std::setprecision(4) << s->area()
			  << " " << (dynamic_cast<Circle *>(s.get()) ? "is" : "is not") << " a circle\n";

	try {
		depth(3);
	} catch (const std::exception &e) {
		std::cout << "caught " << typeid(e).name() << ": " << e.what() << "\n";
	}
	try {
		std::vector<int> v(3);
		std::cout << v.at(7);
	} catch (const std::out_of_range &e) {
		std::cout << "out_of_range from libstdc++\n";
	}
	try {
		throw 42;
	} catch (int v) {
		std::cout << "caught int " << v << "\n";
	}

	std::map<std::string, int> counts;
	std::istringstream in("the quick brown fox jumps over the lazy dog the end");
	for (std::string w; in >> w;)
		counts[w]++;
	for (auto &[w, n] : counts)
		std::cout << w << "=" << n << " ";
	std::cout << "\n";
	std::vector<long> nums(1000);
	std::iota(nums.begin(), nums.end(), 1);
	std::cout << "sum " << std::accumulate(nums.begin(), nums.end(), 0L) << ", "
		  << std::setprecision(10) << std::accumulate(nums.begin(), nums.end(), 0.0, [](double a, long b) { return a + 1.0 / b; })
		  << "\n";
	std::ostringstream os;
	os << std::hex << 255 << " " << std::scientific << 12345.678;
	std::cout << os.str() << std::endl;
	return 0;
}
