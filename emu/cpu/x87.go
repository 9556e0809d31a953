package cpu

// F80 is an x87 register in its 80-bit memory format.
type F80 struct {
	Mant uint64 // explicit integer bit at bit 63
	Exp  uint16 // sign in bit 15, biased exponent in bits 0..14
}

// FPU is the x87 state.
type FPU struct {
	ST      [8]F80 // physical registers; ST(i) is ST[(Top+i)&7]
	Top     uint8
	Control uint16
	Status  uint16 // without TOP, which lives in Top
	Tag     uint16 // full tag word: 2 bits per physical register, 11 = empty
}

func (f *FPU) reset() {
	*f = FPU{Control: 0x37f, Tag: 0xffff}
}
