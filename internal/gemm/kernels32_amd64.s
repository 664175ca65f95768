//go:build amd64 && !purego

#include "textflag.h"

// The float32 kernels, twins of kernels_amd64.s's: the same register
// blocking with twice the lanes per register (8 floats in a YMM register,
// 16 in a ZMM one). Each entry of C sums its products in depth order, one
// fused multiply-add per step, from zero, then is stored or added to C.

// func skernel6x16AVX2(k int, a *float32, rowStep, depthStep int, b *float32, ldb int, c *float32, ldc int, add bool)
//
// 12 accumulators Y0-Y11: row r of the block is Y(2r) (columns 0-7) and
// Y(2r+1) (columns 8-15). Each depth step loads 16 values of B into Y12,
// Y13 and broadcasts each of the 6 values of A into Y14 or Y15 in turn; the
// loop does two steps per iteration. Row
// r of A at depth step q is at a + r·rowStep + q·depthStep (elements): 1
// and 6 for a packed panel, a matrix's row stride and 1 (or 1 and its row
// stride) for rows read where they lie. A depth step moves b by ldb.
TEXT ·skernel6x16AVX2(SB), NOSPLIT, $0-65
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ rowStep+16(FP), R8
	MOVQ depthStep+24(FP), R9
	MOVQ b+32(FP), DI
	MOVQ ldb+40(FP), R10
	MOVQ c+48(FP), DX
	MOVQ ldc+56(FP), R11
	SHLQ $2, R8
	SHLQ $2, R9
	SHLQ $2, R10
	SHLQ $2, R11
	LEAQ (R8)(R8*2), R12
	ADDQ SI, R12         // row 3 of A

	// Ask for the block of C now, so that it is in cache when the sums
	// are written (a row of 16 floats spans at most two cache lines).
	MOVQ DX, R13
	PREFETCHT0 (R13)
	PREFETCHT0 60(R13)
	ADDQ       R11, R13
	PREFETCHT0 (R13)
	PREFETCHT0 60(R13)
	ADDQ       R11, R13
	PREFETCHT0 (R13)
	PREFETCHT0 60(R13)
	ADDQ       R11, R13
	PREFETCHT0 (R13)
	PREFETCHT0 60(R13)
	ADDQ       R11, R13
	PREFETCHT0 (R13)
	PREFETCHT0 60(R13)
	ADDQ       R11, R13
	PREFETCHT0 (R13)
	PREFETCHT0 60(R13)

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

	MOVQ CX, R14
	SHRQ $1, R14
	JZ   s6x16tail

s6x16loop:
	VMOVUPS      (DI), Y12
	VMOVUPS      32(DI), Y13
	VBROADCASTSS (SI), Y14
	VFMADD231PS  Y12, Y14, Y0
	VFMADD231PS  Y13, Y14, Y1
	VBROADCASTSS (SI)(R8*1), Y15
	VFMADD231PS  Y12, Y15, Y2
	VFMADD231PS  Y13, Y15, Y3
	VBROADCASTSS (SI)(R8*2), Y14
	VFMADD231PS  Y12, Y14, Y4
	VFMADD231PS  Y13, Y14, Y5
	VBROADCASTSS (R12), Y15
	VFMADD231PS  Y12, Y15, Y6
	VFMADD231PS  Y13, Y15, Y7
	VBROADCASTSS (R12)(R8*1), Y14
	VFMADD231PS  Y12, Y14, Y8
	VFMADD231PS  Y13, Y14, Y9
	VBROADCASTSS (R12)(R8*2), Y15
	VFMADD231PS  Y12, Y15, Y10
	VFMADD231PS  Y13, Y15, Y11
	ADDQ         R9, SI
	ADDQ         R9, R12
	ADDQ         R10, DI
	VMOVUPS      (DI), Y12
	VMOVUPS      32(DI), Y13
	VBROADCASTSS (SI), Y14
	VFMADD231PS  Y12, Y14, Y0
	VFMADD231PS  Y13, Y14, Y1
	VBROADCASTSS (SI)(R8*1), Y15
	VFMADD231PS  Y12, Y15, Y2
	VFMADD231PS  Y13, Y15, Y3
	VBROADCASTSS (SI)(R8*2), Y14
	VFMADD231PS  Y12, Y14, Y4
	VFMADD231PS  Y13, Y14, Y5
	VBROADCASTSS (R12), Y15
	VFMADD231PS  Y12, Y15, Y6
	VFMADD231PS  Y13, Y15, Y7
	VBROADCASTSS (R12)(R8*1), Y14
	VFMADD231PS  Y12, Y14, Y8
	VFMADD231PS  Y13, Y14, Y9
	VBROADCASTSS (R12)(R8*2), Y15
	VFMADD231PS  Y12, Y15, Y10
	VFMADD231PS  Y13, Y15, Y11
	ADDQ         R9, SI
	ADDQ         R9, R12
	ADDQ         R10, DI
	DECQ         R14
	JNZ          s6x16loop

s6x16tail:
	ANDQ $1, CX
	JZ   s6x16store
	VMOVUPS      (DI), Y12
	VMOVUPS      32(DI), Y13
	VBROADCASTSS (SI), Y14
	VFMADD231PS  Y12, Y14, Y0
	VFMADD231PS  Y13, Y14, Y1
	VBROADCASTSS (SI)(R8*1), Y15
	VFMADD231PS  Y12, Y15, Y2
	VFMADD231PS  Y13, Y15, Y3
	VBROADCASTSS (SI)(R8*2), Y14
	VFMADD231PS  Y12, Y14, Y4
	VFMADD231PS  Y13, Y14, Y5
	VBROADCASTSS (R12), Y15
	VFMADD231PS  Y12, Y15, Y6
	VFMADD231PS  Y13, Y15, Y7
	VBROADCASTSS (R12)(R8*1), Y14
	VFMADD231PS  Y12, Y14, Y8
	VFMADD231PS  Y13, Y14, Y9
	VBROADCASTSS (R12)(R8*2), Y15
	VFMADD231PS  Y12, Y15, Y10
	VFMADD231PS  Y13, Y15, Y11
	ADDQ         R9, SI
	ADDQ         R9, R12
	ADDQ         R10, DI

s6x16store:
	MOVBLZX add+64(FP), R13
	TESTL   R13, R13
	JZ      s6x16set
	VADDPS  (DX), Y0, Y0
	VADDPS  32(DX), Y1, Y1
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	ADDQ    R11, DX
	VADDPS  (DX), Y2, Y2
	VADDPS  32(DX), Y3, Y3
	VMOVUPS Y2, (DX)
	VMOVUPS Y3, 32(DX)
	ADDQ    R11, DX
	VADDPS  (DX), Y4, Y4
	VADDPS  32(DX), Y5, Y5
	VMOVUPS Y4, (DX)
	VMOVUPS Y5, 32(DX)
	ADDQ    R11, DX
	VADDPS  (DX), Y6, Y6
	VADDPS  32(DX), Y7, Y7
	VMOVUPS Y6, (DX)
	VMOVUPS Y7, 32(DX)
	ADDQ    R11, DX
	VADDPS  (DX), Y8, Y8
	VADDPS  32(DX), Y9, Y9
	VMOVUPS Y8, (DX)
	VMOVUPS Y9, 32(DX)
	ADDQ    R11, DX
	VADDPS  (DX), Y10, Y10
	VADDPS  32(DX), Y11, Y11
	VMOVUPS Y10, (DX)
	VMOVUPS Y11, 32(DX)
	VZEROUPPER
	RET

s6x16set:
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	ADDQ    R11, DX
	VMOVUPS Y2, (DX)
	VMOVUPS Y3, 32(DX)
	ADDQ    R11, DX
	VMOVUPS Y4, (DX)
	VMOVUPS Y5, 32(DX)
	ADDQ    R11, DX
	VMOVUPS Y6, (DX)
	VMOVUPS Y7, 32(DX)
	ADDQ    R11, DX
	VMOVUPS Y8, (DX)
	VMOVUPS Y9, 32(DX)
	ADDQ    R11, DX
	VMOVUPS Y10, (DX)
	VMOVUPS Y11, 32(DX)
	VZEROUPPER
	RET

// SZERO24 clears the accumulators Z0-Z23 of both AVX-512 kernels.
#define SZERO24 \
	VPXORQ Z0, Z0, Z0; \
	VPXORQ Z1, Z1, Z1; \
	VPXORQ Z2, Z2, Z2; \
	VPXORQ Z3, Z3, Z3; \
	VPXORQ Z4, Z4, Z4; \
	VPXORQ Z5, Z5, Z5; \
	VPXORQ Z6, Z6, Z6; \
	VPXORQ Z7, Z7, Z7; \
	VPXORQ Z8, Z8, Z8; \
	VPXORQ Z9, Z9, Z9; \
	VPXORQ Z10, Z10, Z10; \
	VPXORQ Z11, Z11, Z11; \
	VPXORQ Z12, Z12, Z12; \
	VPXORQ Z13, Z13, Z13; \
	VPXORQ Z14, Z14, Z14; \
	VPXORQ Z15, Z15, Z15; \
	VPXORQ Z16, Z16, Z16; \
	VPXORQ Z17, Z17, Z17; \
	VPXORQ Z18, Z18, Z18; \
	VPXORQ Z19, Z19, Z19; \
	VPXORQ Z20, Z20, Z20; \
	VPXORQ Z21, Z21, Z21; \
	VPXORQ Z22, Z22, Z22; \
	VPXORQ Z23, Z23, Z23

// SSTEP12x32 is one depth step of skernel12x32AVX512: 32 values of B from
// DI, 12 of A broadcast from SI in turn, 24 fused multiply-adds.
#define SSTEP12x32 \
	VMOVUPS (DI), Z24; \
	VMOVUPS 64(DI), Z25; \
	VBROADCASTSS (SI), Z26; \
	VFMADD231PS Z24, Z26, Z0; \
	VFMADD231PS Z25, Z26, Z1; \
	VBROADCASTSS 4(SI), Z27; \
	VFMADD231PS Z24, Z27, Z2; \
	VFMADD231PS Z25, Z27, Z3; \
	VBROADCASTSS 8(SI), Z28; \
	VFMADD231PS Z24, Z28, Z4; \
	VFMADD231PS Z25, Z28, Z5; \
	VBROADCASTSS 12(SI), Z29; \
	VFMADD231PS Z24, Z29, Z6; \
	VFMADD231PS Z25, Z29, Z7; \
	VBROADCASTSS 16(SI), Z30; \
	VFMADD231PS Z24, Z30, Z8; \
	VFMADD231PS Z25, Z30, Z9; \
	VBROADCASTSS 20(SI), Z31; \
	VFMADD231PS Z24, Z31, Z10; \
	VFMADD231PS Z25, Z31, Z11; \
	VBROADCASTSS 24(SI), Z26; \
	VFMADD231PS Z24, Z26, Z12; \
	VFMADD231PS Z25, Z26, Z13; \
	VBROADCASTSS 28(SI), Z27; \
	VFMADD231PS Z24, Z27, Z14; \
	VFMADD231PS Z25, Z27, Z15; \
	VBROADCASTSS 32(SI), Z28; \
	VFMADD231PS Z24, Z28, Z16; \
	VFMADD231PS Z25, Z28, Z17; \
	VBROADCASTSS 36(SI), Z29; \
	VFMADD231PS Z24, Z29, Z18; \
	VFMADD231PS Z25, Z29, Z19; \
	VBROADCASTSS 40(SI), Z30; \
	VFMADD231PS Z24, Z30, Z20; \
	VFMADD231PS Z25, Z30, Z21; \
	VBROADCASTSS 44(SI), Z31; \
	VFMADD231PS Z24, Z31, Z22; \
	VFMADD231PS Z25, Z31, Z23

// func skernel12x32AVX512(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, add bool)
//
// 24 accumulators Z0-Z23: row r of the block is Z(2r) (columns 0-15) and
// Z(2r+1) (columns 16-31). Each depth step loads 32 values of B into Z24,
// Z25, broadcasts the 12 values of A in turn into Z26-Z31, and issues 24
// fused multiply-adds; the loop does two steps per iteration. A depth step
// moves a by lda and b by ldb elements: 12 and 32 for packed panels, a
// matrix's row stride when the kernel reads one where it lies.
TEXT ·skernel12x32AVX512(SB), NOSPLIT, $0-57
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R11
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), R12
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R8
	SHLQ $2, R11
	SHLQ $2, R12
	SHLQ $2, R8

	// Ask for the block of C now (a row of 32 floats spans at most three
	// cache lines).
	MOVQ DX, R10
	PREFETCHT0 (R10)
	PREFETCHT0 64(R10)
	PREFETCHT0 124(R10)
	ADDQ       R8, R10
	PREFETCHT0 (R10)
	PREFETCHT0 64(R10)
	PREFETCHT0 124(R10)
	ADDQ       R8, R10
	PREFETCHT0 (R10)
	PREFETCHT0 64(R10)
	PREFETCHT0 124(R10)
	ADDQ       R8, R10
	PREFETCHT0 (R10)
	PREFETCHT0 64(R10)
	PREFETCHT0 124(R10)
	ADDQ       R8, R10
	PREFETCHT0 (R10)
	PREFETCHT0 64(R10)
	PREFETCHT0 124(R10)
	ADDQ       R8, R10
	PREFETCHT0 (R10)
	PREFETCHT0 64(R10)
	PREFETCHT0 124(R10)
	ADDQ       R8, R10
	PREFETCHT0 (R10)
	PREFETCHT0 64(R10)
	PREFETCHT0 124(R10)
	ADDQ       R8, R10
	PREFETCHT0 (R10)
	PREFETCHT0 64(R10)
	PREFETCHT0 124(R10)
	ADDQ       R8, R10
	PREFETCHT0 (R10)
	PREFETCHT0 64(R10)
	PREFETCHT0 124(R10)
	ADDQ       R8, R10
	PREFETCHT0 (R10)
	PREFETCHT0 64(R10)
	PREFETCHT0 124(R10)
	ADDQ       R8, R10
	PREFETCHT0 (R10)
	PREFETCHT0 64(R10)
	PREFETCHT0 124(R10)
	ADDQ       R8, R10
	PREFETCHT0 (R10)
	PREFETCHT0 64(R10)
	PREFETCHT0 124(R10)

	SZERO24

	MOVQ CX, R9
	SHRQ $1, R9
	JZ   s12x32tail

s12x32loop:
	SSTEP12x32
	ADDQ R11, SI
	ADDQ R12, DI
	SSTEP12x32
	ADDQ R11, SI
	ADDQ R12, DI
	DECQ R9
	JNZ  s12x32loop

s12x32tail:
	ANDQ $1, CX
	JZ   s12x32store
	SSTEP12x32

s12x32store:
	MOVBLZX add+56(FP), R9
	TESTL   R9, R9
	JZ      s12x32set
	VADDPS  (DX), Z0, Z0
	VADDPS  64(DX), Z1, Z1
	VMOVUPS Z0, (DX)
	VMOVUPS Z1, 64(DX)
	ADDQ    R8, DX
	VADDPS  (DX), Z2, Z2
	VADDPS  64(DX), Z3, Z3
	VMOVUPS Z2, (DX)
	VMOVUPS Z3, 64(DX)
	ADDQ    R8, DX
	VADDPS  (DX), Z4, Z4
	VADDPS  64(DX), Z5, Z5
	VMOVUPS Z4, (DX)
	VMOVUPS Z5, 64(DX)
	ADDQ    R8, DX
	VADDPS  (DX), Z6, Z6
	VADDPS  64(DX), Z7, Z7
	VMOVUPS Z6, (DX)
	VMOVUPS Z7, 64(DX)
	ADDQ    R8, DX
	VADDPS  (DX), Z8, Z8
	VADDPS  64(DX), Z9, Z9
	VMOVUPS Z8, (DX)
	VMOVUPS Z9, 64(DX)
	ADDQ    R8, DX
	VADDPS  (DX), Z10, Z10
	VADDPS  64(DX), Z11, Z11
	VMOVUPS Z10, (DX)
	VMOVUPS Z11, 64(DX)
	ADDQ    R8, DX
	VADDPS  (DX), Z12, Z12
	VADDPS  64(DX), Z13, Z13
	VMOVUPS Z12, (DX)
	VMOVUPS Z13, 64(DX)
	ADDQ    R8, DX
	VADDPS  (DX), Z14, Z14
	VADDPS  64(DX), Z15, Z15
	VMOVUPS Z14, (DX)
	VMOVUPS Z15, 64(DX)
	ADDQ    R8, DX
	VADDPS  (DX), Z16, Z16
	VADDPS  64(DX), Z17, Z17
	VMOVUPS Z16, (DX)
	VMOVUPS Z17, 64(DX)
	ADDQ    R8, DX
	VADDPS  (DX), Z18, Z18
	VADDPS  64(DX), Z19, Z19
	VMOVUPS Z18, (DX)
	VMOVUPS Z19, 64(DX)
	ADDQ    R8, DX
	VADDPS  (DX), Z20, Z20
	VADDPS  64(DX), Z21, Z21
	VMOVUPS Z20, (DX)
	VMOVUPS Z21, 64(DX)
	ADDQ    R8, DX
	VADDPS  (DX), Z22, Z22
	VADDPS  64(DX), Z23, Z23
	VMOVUPS Z22, (DX)
	VMOVUPS Z23, 64(DX)
	VZEROUPPER
	RET

s12x32set:
	VMOVUPS Z0, (DX)
	VMOVUPS Z1, 64(DX)
	ADDQ    R8, DX
	VMOVUPS Z2, (DX)
	VMOVUPS Z3, 64(DX)
	ADDQ    R8, DX
	VMOVUPS Z4, (DX)
	VMOVUPS Z5, 64(DX)
	ADDQ    R8, DX
	VMOVUPS Z6, (DX)
	VMOVUPS Z7, 64(DX)
	ADDQ    R8, DX
	VMOVUPS Z8, (DX)
	VMOVUPS Z9, 64(DX)
	ADDQ    R8, DX
	VMOVUPS Z10, (DX)
	VMOVUPS Z11, 64(DX)
	ADDQ    R8, DX
	VMOVUPS Z12, (DX)
	VMOVUPS Z13, 64(DX)
	ADDQ    R8, DX
	VMOVUPS Z14, (DX)
	VMOVUPS Z15, 64(DX)
	ADDQ    R8, DX
	VMOVUPS Z16, (DX)
	VMOVUPS Z17, 64(DX)
	ADDQ    R8, DX
	VMOVUPS Z18, (DX)
	VMOVUPS Z19, 64(DX)
	ADDQ    R8, DX
	VMOVUPS Z20, (DX)
	VMOVUPS Z21, 64(DX)
	ADDQ    R8, DX
	VMOVUPS Z22, (DX)
	VMOVUPS Z23, 64(DX)
	VZEROUPPER
	RET

// func stranspose8AVX(kb int, src *float32, ld int, dst *float32, ldd int)
//
// Transposes an 8×kb block (8 rows of src, row stride ld) into kb rows of 8
// at dst (row stride ldd): dst[q·ldd+r] = src[r·ld+q], kb a multiple of 8.
// Each 8×8 block takes three rounds of shuffles: pairs of rows interleaved
// by element, then by pairs of elements, then 128-bit halves exchanged.
TEXT ·stranspose8AVX(SB), NOSPLIT, $0-40
	MOVQ kb+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), R8
	MOVQ dst+24(FP), DI
	MOVQ ldd+32(FP), R11
	SHLQ $2, R8
	SHLQ $2, R11
	LEAQ (R8)(R8*2), R9     // 3 rows of src
	LEAQ (SI)(R8*4), R10    // row 4 of src
	LEAQ (R11)(R11*2), R12  // 3 rows of dst
	LEAQ (DI)(R11*4), R13   // row 4 of dst
	MOVQ R11, R14
	SHLQ $3, R14            // 8 rows of dst
	SHRQ $3, CX
	JZ   st8done

st8loop:
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(R8*1), Y1
	VMOVUPS (SI)(R8*2), Y2
	VMOVUPS (SI)(R9*1), Y3
	VMOVUPS (R10), Y4
	VMOVUPS (R10)(R8*1), Y5
	VMOVUPS (R10)(R8*2), Y6
	VMOVUPS (R10)(R9*1), Y7

	VUNPCKLPS Y1, Y0, Y8   // r0_0 r1_0 r0_1 r1_1 | r0_4 r1_4 r0_5 r1_5
	VUNPCKHPS Y1, Y0, Y9   // r0_2 r1_2 r0_3 r1_3 | r0_6 r1_6 r0_7 r1_7
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15

	VSHUFPS $0x44, Y10, Y8, Y0   // rows 0-3: column 0 | column 4
	VSHUFPS $0xEE, Y10, Y8, Y1   // column 1 | column 5
	VSHUFPS $0x44, Y11, Y9, Y2   // column 2 | column 6
	VSHUFPS $0xEE, Y11, Y9, Y3   // column 3 | column 7
	VSHUFPS $0x44, Y14, Y12, Y4  // rows 4-7: column 0 | column 4
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7

	VPERM2F128 $0x20, Y4, Y0, Y8   // column 0
	VPERM2F128 $0x31, Y4, Y0, Y12  // column 4
	VPERM2F128 $0x20, Y5, Y1, Y9   // column 1
	VPERM2F128 $0x31, Y5, Y1, Y13  // column 5
	VPERM2F128 $0x20, Y6, Y2, Y10  // column 2
	VPERM2F128 $0x31, Y6, Y2, Y14  // column 6
	VPERM2F128 $0x20, Y7, Y3, Y11  // column 3
	VPERM2F128 $0x31, Y7, Y3, Y15  // column 7

	VMOVUPS Y8, (DI)
	VMOVUPS Y9, (DI)(R11*1)
	VMOVUPS Y10, (DI)(R11*2)
	VMOVUPS Y11, (DI)(R12*1)
	VMOVUPS Y12, (R13)
	VMOVUPS Y13, (R13)(R11*1)
	VMOVUPS Y14, (R13)(R11*2)
	VMOVUPS Y15, (R13)(R12*1)

	ADDQ $32, SI
	ADDQ $32, R10
	ADDQ R14, DI
	ADDQ R14, R13
	DECQ CX
	JNZ  st8loop

st8done:
	VZEROUPPER
	RET

// func scopy16AVX(kb int, src *float32, ld int, dst *float32, ldd int)
//
// Copies kb rows of 16 floats from src (row stride ld) to dst (row stride
// ldd), two rows per iteration: the packing of B's panels when B's columns
// lie along its rows.
TEXT ·scopy16AVX(SB), NOSPLIT, $0-40
	MOVQ kb+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), R8
	MOVQ dst+24(FP), DI
	MOVQ ldd+32(FP), R9
	SHLQ $2, R8
	SHLQ $2, R9
	MOVQ CX, DX
	SHRQ $1, DX
	JZ   sc16tail

sc16loop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS (SI)(R8*1), Y2
	VMOVUPS 32(SI)(R8*1), Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, (DI)(R9*1)
	VMOVUPS Y3, 32(DI)(R9*1)
	LEAQ    (SI)(R8*2), SI
	LEAQ    (DI)(R9*2), DI
	DECQ    DX
	JNZ     sc16loop

sc16tail:
	ANDQ    $1, CX
	JZ      sc16done
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)

sc16done:
	VZEROUPPER
	RET

// func saxpyAVX2(alpha float32, x, y *float32, n int)
//
// y[i] += alpha·x[i] for i < n, n a multiple of 32, with fused multiply-adds.
TEXT ·saxpyAVX2(SB), NOSPLIT, $0-32
	VBROADCASTSS alpha+0(FP), Y0
	MOVQ         x+8(FP), SI
	MOVQ         y+16(FP), DI
	MOVQ         n+24(FP), CX
	SHRQ         $5, CX
	JZ           saxpydone

saxpyloop:
	VMOVUPS     (SI), Y1
	VMOVUPS     32(SI), Y2
	VMOVUPS     64(SI), Y3
	VMOVUPS     96(SI), Y4
	VFMADD213PS (DI), Y0, Y1
	VFMADD213PS 32(DI), Y0, Y2
	VFMADD213PS 64(DI), Y0, Y3
	VFMADD213PS 96(DI), Y0, Y4
	VMOVUPS     Y1, (DI)
	VMOVUPS     Y2, 32(DI)
	VMOVUPS     Y3, 64(DI)
	VMOVUPS     Y4, 96(DI)
	ADDQ        $128, SI
	ADDQ        $128, DI
	DECQ        CX
	JNZ         saxpyloop

saxpydone:
	VZEROUPPER
	RET

// SFOLD4 folds the four accumulators of one row of sdot6x4AVX512 into the
// four sums of the row, in the low 128 bits of the first: pairs of lanes
// first (two partial sums for each column in every 128-bit lane), then
// pairs of pairs (one for each column in every 128-bit lane), then the four
// 128-bit lanes, two by two. Z24-Z28 are scratch.
#define SFOLD4(z0, z1, z2, z3) \
	VUNPCKLPS  z1, z0, Z24; \
	VUNPCKHPS  z1, z0, Z25; \
	VADDPS     Z25, Z24, Z24; \
	VUNPCKLPS  z3, z2, Z26; \
	VUNPCKHPS  z3, z2, Z27; \
	VADDPS     Z27, Z26, Z26; \
	VUNPCKLPD  Z26, Z24, Z27; \
	VUNPCKHPD  Z26, Z24, Z28; \
	VADDPS     Z28, Z27, Z27; \
	VSHUFF32X4 $0xEE, Z27, Z27, Z28; \
	VADDPS     Z28, Z27, Z27; \
	VSHUFF32X4 $0x55, Z27, Z27, Z28; \
	VADDPS     Z28, Z27, z0

// func sdot6x4AVX512(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, add bool)
//
// dot6x4AVX512 for float32: each accumulator Z(4r+j) sums 16 lanes of row r
// of A times row j of B, 16 depth steps at a time (k a multiple of 16), and
// the end folds each row's four accumulators into the four sums of C's row
// (SFOLD4), left in X(4r).
TEXT ·sdot6x4AVX512(SB), NOSPLIT, $0-57
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R8
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), R9
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R10
	SHLQ $2, R8
	SHLQ $2, R9
	SHLQ $2, R10
	LEAQ (R8)(R8*2), R11   // 3 rows of A
	LEAQ (SI)(R11*1), R12  // row 3 of A
	LEAQ (R9)(R9*2), R13   // 3 rows of B

	SZERO24
	SHRQ $4, CX
	JZ   sfold6x4

sloop6x4:
	VMOVUPS (SI), Z24
	VMOVUPS (SI)(R8*1), Z25
	VMOVUPS (SI)(R8*2), Z26
	VMOVUPS (R12), Z27
	VMOVUPS (R12)(R8*1), Z28
	VMOVUPS (R12)(R8*2), Z29
	VMOVUPS (DI), Z30
	VFMADD231PS Z30, Z24, Z0
	VFMADD231PS Z30, Z25, Z4
	VFMADD231PS Z30, Z26, Z8
	VFMADD231PS Z30, Z27, Z12
	VFMADD231PS Z30, Z28, Z16
	VFMADD231PS Z30, Z29, Z20
	VMOVUPS (DI)(R9*1), Z31
	VFMADD231PS Z31, Z24, Z1
	VFMADD231PS Z31, Z25, Z5
	VFMADD231PS Z31, Z26, Z9
	VFMADD231PS Z31, Z27, Z13
	VFMADD231PS Z31, Z28, Z17
	VFMADD231PS Z31, Z29, Z21
	VMOVUPS (DI)(R9*2), Z30
	VFMADD231PS Z30, Z24, Z2
	VFMADD231PS Z30, Z25, Z6
	VFMADD231PS Z30, Z26, Z10
	VFMADD231PS Z30, Z27, Z14
	VFMADD231PS Z30, Z28, Z18
	VFMADD231PS Z30, Z29, Z22
	VMOVUPS (DI)(R13*1), Z31
	VFMADD231PS Z31, Z24, Z3
	VFMADD231PS Z31, Z25, Z7
	VFMADD231PS Z31, Z26, Z11
	VFMADD231PS Z31, Z27, Z15
	VFMADD231PS Z31, Z28, Z19
	VFMADD231PS Z31, Z29, Z23
	ADDQ $64, SI
	ADDQ $64, R12
	ADDQ $64, DI
	DECQ CX
	JNZ  sloop6x4

sfold6x4:
	SFOLD4(Z0, Z1, Z2, Z3)
	SFOLD4(Z4, Z5, Z6, Z7)
	SFOLD4(Z8, Z9, Z10, Z11)
	SFOLD4(Z12, Z13, Z14, Z15)
	SFOLD4(Z16, Z17, Z18, Z19)
	SFOLD4(Z20, Z21, Z22, Z23)
	MOVBLZX add+56(FP), R14
	TESTL   R14, R14
	JZ      sset6x4
	VADDPS  (DX), X0, X0
	VMOVUPS X0, (DX)
	ADDQ    R10, DX
	VADDPS  (DX), X4, X4
	VMOVUPS X4, (DX)
	ADDQ    R10, DX
	VADDPS  (DX), X8, X8
	VMOVUPS X8, (DX)
	ADDQ    R10, DX
	VADDPS  (DX), X12, X12
	VMOVUPS X12, (DX)
	ADDQ    R10, DX
	VADDPS  (DX), X16, X16
	VMOVUPS X16, (DX)
	ADDQ    R10, DX
	VADDPS  (DX), X20, X20
	VMOVUPS X20, (DX)
	VZEROUPPER
	RET

sset6x4:
	VMOVUPS X0, (DX)
	ADDQ    R10, DX
	VMOVUPS X4, (DX)
	ADDQ    R10, DX
	VMOVUPS X8, (DX)
	ADDQ    R10, DX
	VMOVUPS X12, (DX)
	ADDQ    R10, DX
	VMOVUPS X16, (DX)
	ADDQ    R10, DX
	VMOVUPS X20, (DX)
	VZEROUPPER
	RET
