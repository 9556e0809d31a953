package mem

import (
	"testing"

	"golang.org/x/sys/unix"
)

// newSeg makes a private SysV segment of n bytes, removed at the end.
func newSeg(t *testing.T, n int) int {
	t.Helper()
	id, err := unix.SysvShmGet(unix.IPC_PRIVATE, n, unix.IPC_CREAT|0o600)
	if err != nil {
		t.Skipf("shmget: %v", err)
	}
	t.Cleanup(func() { unix.SysvShmCtl(id, unix.IPC_RMID, nil) })
	return id
}

func nattch(t *testing.T, id int) uint64 {
	t.Helper()
	var ds unix.SysvShmDesc
	if _, err := unix.SysvShmCtl(id, unix.IPC_STAT, &ds); err != nil {
		t.Fatal(err)
	}
	return ds.Nattch
}

func TestShmat(t *testing.T) {
	m := newMem(t)
	id := newSeg(t, 3*P-100)
	a, err := m.Shmat(id, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	vs := m.VMAs()
	if len(vs) != 1 || vs[0].Start != a || vs[0].End != a+3*P || vs[0].Prot != rw ||
		vs[0].Name != "/SYSV00000000 (deleted)" || vs[0].Inode != uint64(id) || !vs[0].HostShared {
		t.Fatalf("VMAs %+v", vs)
	}
	if n := nattch(t, id); n != 1 {
		t.Fatalf("nattch %d after one shmat", n)
	}
	put(t, m, a+P, "through the window")
	host, err := unix.SysvShmAttach(id, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.SysvShmDetach(host)
	if s := string(host[P : P+18]); s != "through the window" {
		t.Fatalf("the segment holds %q", s)
	}

	ro, err := m.Shmat(id, 0, unix.SHM_RDONLY)
	if err != nil {
		t.Fatal(err)
	}
	if got := get(t, m, ro+P, 7); got != "through" {
		t.Fatalf("read-only attachment reads %q", got)
	}
	wantErr(t, "mprotect of a read-only attachment", m.Protect(ro, P, rw), unix.EACCES)
	wantErr(t, "shmdt inside", m.Shmdt(ro+P), ErrInval)
	wantErr(t, "shmdt misaligned", m.Shmdt(ro+1), ErrInval)
	if err := m.Shmdt(ro); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "shmdt twice", m.Shmdt(ro), ErrInval)

	// Addresses.
	_, err = m.Shmat(id, a, 0)
	wantErr(t, "shmat over a mapping", err, ErrInval)
	_, err = m.Shmat(id, 0, shmRemap)
	wantErr(t, "SHM_REMAP without an address", err, ErrInval)
	_, err = m.Shmat(id, a+P+5, 0)
	wantErr(t, "misaligned", err, ErrInval)
	if b, err := m.Shmat(id, a+5, unix.SHM_RND|shmRemap); err != nil || b != a {
		t.Fatalf("SHM_RND|SHM_REMAP over the first attachment: %#x, %v", b, err)
	}
	if got := get(t, m, a+P, 7); got != "through" {
		t.Fatalf("remapped attachment reads %q", got)
	}

	// A partial munmap leaves a part that shmdt finds by its offset.
	if err := m.Unmap(a, P); err != nil {
		t.Fatal(err)
	}
	if vs := m.VMAs(); len(vs) != 1 || vs[0].Start != a+P || vs[0].Offset != P {
		t.Fatalf("after munmap: %+v", vs)
	}
	if err := m.Shmdt(a); err != nil {
		t.Fatal(err)
	}
	if len(m.VMAs()) != 0 {
		t.Fatalf("VMAs left: %+v", m.VMAs())
	}
	if n := nattch(t, id); n != 1 {
		t.Fatalf("nattch %d with only the test's attachment", n)
	}
}

func TestShmatErrors(t *testing.T) {
	m := newMem(t)
	_, err := m.Shmat(0x7fffffff, 0, 0)
	wantErr(t, "bad id", err, unix.EINVAL)
	if len(m.VMAs()) != 0 {
		t.Fatal("a failed shmat mapped something")
	}
}

func TestForkShm(t *testing.T) {
	m := newMem(t)
	id := newSeg(t, 4*P)
	a, err := m.Shmat(id, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	// A read-only page in the middle: three VMAs of one attachment.
	if err := m.Protect(a+P, P, unix.PROT_READ); err != nil {
		t.Fatal(err)
	}
	put(t, m, a+3*P, "parent")
	c := forkMem(t, m)
	if d := cmpVMAs(m.VMAs(), c.VMAs()); d != "" {
		t.Fatalf("%s: %+v\n%+v", d, m.VMAs(), c.VMAs())
	}
	if got := get(t, c, a+3*P, 6); got != "parent" {
		t.Fatalf("child reads %q", got)
	}
	put(t, c, a, "child")
	if got := get(t, m, a, 5); got != "child" {
		t.Fatalf("parent reads %q", got)
	}
	if err := c.Write(a+P, []byte("x")); err == nil {
		t.Fatal("the child's read-only page is writable")
	}
	// Each process detaches its own attachment, all three parts.
	if err := c.Shmdt(a); err != nil {
		t.Fatal(err)
	}
	if len(c.VMAs()) != 0 {
		t.Fatalf("child VMAs left: %+v", c.VMAs())
	}
	if n := nattch(t, id); n != 3 {
		t.Fatalf("nattch %d, want the parent's three parts", n)
	}
}
