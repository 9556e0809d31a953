package loader

import "encoding/binary"

// Small hand-made executables for the fuzz seeds and the bad-input tests.

const (
	testVaddr = 0x400000
	// Offsets of program header fields.
	phType   = 0
	phFlags  = 4
	phOff    = 8
	phVaddr  = 16
	phFilesz = 32
	phMemsz  = 40
	phAlign  = 48
)

// exitCode is "mov eax, 60; xor edi, edi; syscall": exit(0).
var exitCode = []byte{0xb8, 0x3c, 0, 0, 0, 0x31, 0xff, 0x0f, 0x05}

// smallELF returns a static x86-64 executable that exits with status 0: the
// ELF header, a PT_LOAD covering the whole file at testVaddr, a PT_INTERP
// naming interp when it is not empty (its string after the code), and the
// code.
func smallELF(interp string) []byte {
	nph := 1
	if interp != "" {
		nph = 2
	}
	codeOff := ehdrSize + nph*phdrSize
	b := make([]byte, codeOff, codeOff+len(exitCode)+len(interp)+1)
	b = append(b, exitCode...)
	strOff := len(b)
	if interp != "" {
		b = append(b, interp...)
		b = append(b, 0)
	}
	le := binary.LittleEndian
	copy(b, "\x7fELF\x02\x01\x01")
	le.PutUint16(b[16:], etExec)
	le.PutUint16(b[18:], emX8664)
	le.PutUint32(b[20:], 1)
	le.PutUint64(b[24:], testVaddr+uint64(codeOff))
	le.PutUint64(b[32:], ehdrSize)
	le.PutUint16(b[52:], ehdrSize)
	le.PutUint16(b[54:], phdrSize)
	le.PutUint16(b[56:], uint16(nph))
	ph := b[ehdrSize:]
	le.PutUint32(ph[phType:], ptLoad)
	le.PutUint32(ph[phFlags:], 5) // R X
	le.PutUint64(ph[phVaddr:], testVaddr)
	le.PutUint64(ph[phVaddr+8:], testVaddr)
	le.PutUint64(ph[phFilesz:], uint64(len(b)))
	le.PutUint64(ph[phMemsz:], uint64(len(b)))
	le.PutUint64(ph[phAlign:], 0x1000)
	if interp != "" {
		ph = b[ehdrSize+phdrSize:]
		le.PutUint32(ph[phType:], ptInterp)
		le.PutUint32(ph[phFlags:], 4)
		le.PutUint64(ph[phOff:], uint64(strOff))
		le.PutUint64(ph[phFilesz:], uint64(len(interp)+1))
		le.PutUint64(ph[phMemsz:], uint64(len(interp)+1))
		le.PutUint64(ph[phAlign:], 1)
	}
	return b
}

// phField is the offset of field f of program header i.
func phField(i, f int) int { return ehdrSize + i*phdrSize + f }

// addLoad appends a PT_LOAD program header (the header table is moved to the
// end of the file) and returns the new file.
func addLoad(b []byte, flags uint32, off, vaddr, filesz, memsz uint64) []byte {
	le := binary.LittleEndian
	phoff := le.Uint64(b[32:])
	nph := int(le.Uint16(b[56:]))
	tbl := append([]byte(nil), b[phoff:phoff+uint64(nph*phdrSize)]...)
	var p [phdrSize]byte
	le.PutUint32(p[phType:], ptLoad)
	le.PutUint32(p[phFlags:], flags)
	le.PutUint64(p[phOff:], off)
	le.PutUint64(p[phVaddr:], vaddr)
	le.PutUint64(p[phFilesz:], filesz)
	le.PutUint64(p[phMemsz:], memsz)
	le.PutUint64(p[phAlign:], 0x1000)
	tbl = append(tbl, p[:]...)
	out := append([]byte(nil), b...)
	le.PutUint64(out[32:], uint64(len(out)))
	le.PutUint16(out[56:], uint16(nph+1))
	out = append(out, tbl...)
	// The first PT_LOAD covers the whole file, headers included.
	le.PutUint64(out[phoffField(out, 0, phFilesz):], uint64(len(out)))
	le.PutUint64(out[phoffField(out, 0, phMemsz):], uint64(len(out)))
	return out
}

// phoffField is the offset of field f of program header i, wherever the
// table is.
func phoffField(b []byte, i, f int) int {
	return int(binary.LittleEndian.Uint64(b[32:])) + i*phdrSize + f
}
