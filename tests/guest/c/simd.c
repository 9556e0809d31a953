/* SSE2 vector instructions through intrinsics: integer lanes of every
 * width (add, saturating add, multiply, compare, shifts by 0..64, shuffles,
 * pack/unpack, movemask) and packed float/double arithmetic. */
#include <emmintrin.h>
#include "common.h"

static hash_t h;
static void hv(__m128i v)
{
	uint64_t q[2];
	_mm_storeu_si128((__m128i *)q, v);
	hu64(&h, q[0]);
	hu64(&h, q[1]);
}
static void hd(__m128d v)
{
	hv(_mm_castpd_si128(v));
}

static void show(const char *name)
{
	printf("%-10s %016llx\n", name, (unsigned long long)h.h);
	hinit(&h);
}

int main(void)
{
	enum { N = 24 };
	__m128i v[N];
	for (int i = 0; i < N; i++) {
		uint64_t a = rnd(), b = rnd();
		if (i < 4) { /* boundary lanes */
			a = i & 1 ? 0x8000800080008000ull : 0x7fff7fff7fff7fffull;
			b = i & 2 ? 0xffffffffffffffffull : 0x0000000100000001ull;
		}
		v[i] = _mm_set_epi64x((long long)a, (long long)b);
	}
	hinit(&h);
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++) {
			__m128i a = v[i], b = v[j];
			hv(_mm_add_epi8(a, b)), hv(_mm_add_epi16(a, b)), hv(_mm_add_epi32(a, b));
			hv(_mm_add_epi64(a, b)), hv(_mm_sub_epi8(a, b)), hv(_mm_sub_epi64(a, b));
		}
	show("add/sub");
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++) {
			__m128i a = v[i], b = v[j];
			hv(_mm_adds_epi8(a, b)), hv(_mm_adds_epu8(a, b)), hv(_mm_adds_epi16(a, b));
			hv(_mm_adds_epu16(a, b)), hv(_mm_subs_epi8(a, b)), hv(_mm_subs_epu16(a, b));
		}
	show("saturate");
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++) {
			__m128i a = v[i], b = v[j];
			hv(_mm_mullo_epi16(a, b)), hv(_mm_mulhi_epi16(a, b)), hv(_mm_mulhi_epu16(a, b));
			hv(_mm_mul_epu32(a, b)), hv(_mm_madd_epi16(a, b)), hv(_mm_sad_epu8(a, b));
			hv(_mm_avg_epu8(a, b)), hv(_mm_avg_epu16(a, b));
		}
	show("multiply");
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++) {
			__m128i a = v[i], b = v[j];
			hv(_mm_cmpeq_epi8(a, b)), hv(_mm_cmpgt_epi8(a, b)), hv(_mm_cmpgt_epi16(a, b));
			hv(_mm_cmpeq_epi32(a, b)), hv(_mm_cmpgt_epi32(a, b));
			hv(_mm_min_epu8(a, b)), hv(_mm_max_epi16(a, b));
			hv(_mm_and_si128(a, b)), hv(_mm_andnot_si128(a, b)), hv(_mm_or_si128(a, b));
			hv(_mm_xor_si128(a, b));
			hu64(&h, (uint64_t)_mm_movemask_epi8(_mm_cmpgt_epi8(a, b)));
		}
	show("compare");
	static const int counts[] = {0, 1, 7, 8, 15, 16, 31, 32, 33, 63, 64, 65, 127, 200};
	for (int i = 0; i < N; i++)
		for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
			__m128i a = v[i], n = _mm_cvtsi32_si128(counts[c]);
			hv(_mm_sll_epi16(a, n)), hv(_mm_srl_epi16(a, n)), hv(_mm_sra_epi16(a, n));
			hv(_mm_sll_epi32(a, n)), hv(_mm_srl_epi32(a, n)), hv(_mm_sra_epi32(a, n));
			hv(_mm_sll_epi64(a, n)), hv(_mm_srl_epi64(a, n));
		}
	for (int i = 0; i < N; i++) {
		__m128i a = v[i];
		hv(_mm_slli_epi16(a, 3)), hv(_mm_srai_epi16(a, 15)), hv(_mm_srli_epi32(a, 31));
		hv(_mm_slli_epi64(a, 63)), hv(_mm_srli_epi64(a, 1)), hv(_mm_srai_epi32(a, 40));
		hv(_mm_slli_si128(a, 3)), hv(_mm_srli_si128(a, 9)), hv(_mm_slli_si128(a, 15));
	}
	show("shifts");
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j += 3) {
			__m128i a = v[i], b = v[j];
			hv(_mm_unpacklo_epi8(a, b)), hv(_mm_unpackhi_epi16(a, b));
			hv(_mm_unpacklo_epi32(a, b)), hv(_mm_unpackhi_epi64(a, b));
			hv(_mm_packs_epi16(a, b)), hv(_mm_packs_epi32(a, b)), hv(_mm_packus_epi16(a, b));
			hv(_mm_shuffle_epi32(a, 0x1b)), hv(_mm_shufflelo_epi16(a, 0xb1));
			hv(_mm_shufflehi_epi16(a, 0x4e));
			hu64(&h, (uint64_t)_mm_extract_epi16(a, 5));
			hv(_mm_insert_epi16(a, 0x1234, 3));
		}
	show("shuffle");
	double dv[] = {0.0, -0.0, 1.0, -1.5, 1e300, -1e-310, 3.25, 1e-5, __builtin_inf(),
		       -__builtin_inf(), __builtin_nan(""), 12345.678};
	int nd = sizeof dv / sizeof dv[0];
	for (int i = 0; i < nd; i++)
		for (int j = 0; j < nd; j++) {
			__m128d a = _mm_set_pd(dv[i], dv[j]), b = _mm_set_pd(dv[j], dv[(i + j) % nd]);
			hd(_mm_add_pd(a, b)), hd(_mm_mul_pd(a, b)), hd(_mm_div_pd(a, b));
			hd(_mm_sqrt_pd(a)), hd(_mm_min_pd(a, b)), hd(_mm_max_pd(a, b));
			hd(_mm_cmplt_pd(a, b)), hd(_mm_cmpunord_pd(a, b)), hd(_mm_cmpneq_pd(a, b));
			hd(_mm_unpackhi_pd(a, b)), hd(_mm_shuffle_pd(a, b, 1));
			hu64(&h, (uint64_t)_mm_movemask_pd(a));
			hv(_mm_cvttpd_epi32(a)), hv(_mm_cvtpd_epi32(a));
			__m128 f = _mm_cvtpd_ps(a), g = _mm_cvtpd_ps(b);
			hv(_mm_castps_si128(_mm_add_ps(f, g))), hv(_mm_castps_si128(_mm_sub_ps(f, g)));
			hv(_mm_castps_si128(_mm_mul_ps(f, g))), hv(_mm_cvttps_epi32(f));
			hd(_mm_cvtps_pd(f));
			hu64(&h, (uint64_t)_mm_movemask_ps(_mm_cmplt_ps(f, g)));
		}
	show("packed fp");
	/* rcp and rsqrt are approximations that differ between CPU models;
	 * only their rough value is checked. */
	__m128 r = _mm_rsqrt_ps(_mm_set_ps(4.0f, 16.0f, 0.25f, 100.0f));
	float rf[4];
	_mm_storeu_ps(rf, r);
	printf("rsqrt close: %d %d %d %d\n", rf[0] > 0.0999f && rf[0] < 0.1001f,
	       rf[1] > 1.999f && rf[1] < 2.001f, rf[2] > 0.2499f && rf[2] < 0.2501f,
	       rf[3] > 0.4999f && rf[3] < 0.5001f);
	/* Unaligned and aligned loads and stores, non-temporal store. */
	static unsigned char buf[256] __attribute__((aligned(16)));
	for (int i = 0; i < 256; i++)
		buf[i] = (unsigned char)(i * 37);
	for (int off = 0; off < 17; off++) {
		__m128i x = _mm_loadu_si128((const __m128i *)(buf + off));
		_mm_storeu_si128((__m128i *)(buf + 100 + off), _mm_add_epi8(x, _mm_set1_epi8(1)));
		hv(x);
	}
	_mm_stream_si128((__m128i *)(buf + 224), _mm_set1_epi32(0x01020304));
	_mm_sfence();
	hbytes(&h, buf, sizeof buf);
	_mm_storel_epi64((__m128i *)(buf + 8), _mm_set1_epi8(9));
	hv(_mm_loadl_epi64((const __m128i *)buf));
	hv(_mm_load_si128((const __m128i *)(buf + 96)));
	show("memory");
	return 0;
}
