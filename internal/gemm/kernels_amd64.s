//go:build amd64 && !purego

#include "textflag.h"

// func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL leaf+0(FP), AX
	MOVL sub+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET

// The micro-kernels add the product of a panel of A (mr values per depth
// step) and a panel of B (nr values per depth step) to an mr×nr block of C
// with row stride ldc (in elements), or, when add is false, store it there
// without reading C. Each entry of C sums its products in depth order, one
// fused multiply-add per step. (dot6x4AVX512, at the end of the file, sums
// along the depth instead.)

// ZERO24 clears the accumulators Z0-Z23 of both AVX-512 kernels.
#define ZERO24 \
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

// STEP12x16 is one depth step of kernel12x16AVX512: 16 values of B from
// DI, 12 of A broadcast from SI in turn, 24 fused multiply-adds.
#define STEP12x16 \
	VMOVUPD (DI), Z24; \
	VMOVUPD 64(DI), Z25; \
	VBROADCASTSD (SI), Z26; \
	VFMADD231PD Z24, Z26, Z0; \
	VFMADD231PD Z25, Z26, Z1; \
	VBROADCASTSD 8(SI), Z27; \
	VFMADD231PD Z24, Z27, Z2; \
	VFMADD231PD Z25, Z27, Z3; \
	VBROADCASTSD 16(SI), Z28; \
	VFMADD231PD Z24, Z28, Z4; \
	VFMADD231PD Z25, Z28, Z5; \
	VBROADCASTSD 24(SI), Z29; \
	VFMADD231PD Z24, Z29, Z6; \
	VFMADD231PD Z25, Z29, Z7; \
	VBROADCASTSD 32(SI), Z30; \
	VFMADD231PD Z24, Z30, Z8; \
	VFMADD231PD Z25, Z30, Z9; \
	VBROADCASTSD 40(SI), Z31; \
	VFMADD231PD Z24, Z31, Z10; \
	VFMADD231PD Z25, Z31, Z11; \
	VBROADCASTSD 48(SI), Z26; \
	VFMADD231PD Z24, Z26, Z12; \
	VFMADD231PD Z25, Z26, Z13; \
	VBROADCASTSD 56(SI), Z27; \
	VFMADD231PD Z24, Z27, Z14; \
	VFMADD231PD Z25, Z27, Z15; \
	VBROADCASTSD 64(SI), Z28; \
	VFMADD231PD Z24, Z28, Z16; \
	VFMADD231PD Z25, Z28, Z17; \
	VBROADCASTSD 72(SI), Z29; \
	VFMADD231PD Z24, Z29, Z18; \
	VFMADD231PD Z25, Z29, Z19; \
	VBROADCASTSD 80(SI), Z30; \
	VFMADD231PD Z24, Z30, Z20; \
	VFMADD231PD Z25, Z30, Z21; \
	VBROADCASTSD 88(SI), Z31; \
	VFMADD231PD Z24, Z31, Z22; \
	VFMADD231PD Z25, Z31, Z23

// func kernel12x16AVX512(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, add bool)
//
// 24 accumulators Z0-Z23: row r of the block is Z(2r) (columns 0-7) and
// Z(2r+1) (columns 8-15). Each depth step loads 16 values of B into Z24,
// Z25, broadcasts the 12 values of A in turn into Z26-Z31, and issues 24
// fused multiply-adds; the loop does two steps per iteration. A depth step
// moves a by lda and b by ldb elements: 12 and 16 for packed panels, a
// matrix's row stride when the kernel reads one where it lies.
TEXT ·kernel12x16AVX512(SB), NOSPLIT, $0-57
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R11
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), R12
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R8
	SHLQ $3, R11
	SHLQ $3, R12
	SHLQ $3, R8

	// Ask for the block of C now, so that it is in cache when the sums are
	// written: rows of C a page apart would otherwise stall the end of
	// every call.
	MOVQ DX, R10
	PREFETCHT0 (R10)
	PREFETCHT0 64(R10)
	ADDQ       R8, R10
	PREFETCHT0 (R10)
	PREFETCHT0 64(R10)
	ADDQ       R8, R10
	PREFETCHT0 (R10)
	PREFETCHT0 64(R10)
	ADDQ       R8, R10
	PREFETCHT0 (R10)
	PREFETCHT0 64(R10)
	ADDQ       R8, R10
	PREFETCHT0 (R10)
	PREFETCHT0 64(R10)
	ADDQ       R8, R10
	PREFETCHT0 (R10)
	PREFETCHT0 64(R10)
	ADDQ       R8, R10
	PREFETCHT0 (R10)
	PREFETCHT0 64(R10)
	ADDQ       R8, R10
	PREFETCHT0 (R10)
	PREFETCHT0 64(R10)
	ADDQ       R8, R10
	PREFETCHT0 (R10)
	PREFETCHT0 64(R10)
	ADDQ       R8, R10
	PREFETCHT0 (R10)
	PREFETCHT0 64(R10)
	ADDQ       R8, R10
	PREFETCHT0 (R10)
	PREFETCHT0 64(R10)
	ADDQ       R8, R10
	PREFETCHT0 (R10)
	PREFETCHT0 64(R10)

	ZERO24

	MOVQ CX, R9
	SHRQ $1, R9
	JZ   tail512

loop512:
	STEP12x16
	ADDQ R11, SI
	ADDQ R12, DI
	STEP12x16
	ADDQ R11, SI
	ADDQ R12, DI
	DECQ R9
	JNZ  loop512

tail512:
	ANDQ $1, CX
	JZ   store512
	STEP12x16

store512:
	MOVBLZX add+56(FP), R9
	TESTL   R9, R9
	JZ      set512
	VADDPD  (DX), Z0, Z0
	VADDPD  64(DX), Z1, Z1
	VMOVUPD Z0, (DX)
	VMOVUPD Z1, 64(DX)
	ADDQ    R8, DX
	VADDPD  (DX), Z2, Z2
	VADDPD  64(DX), Z3, Z3
	VMOVUPD Z2, (DX)
	VMOVUPD Z3, 64(DX)
	ADDQ    R8, DX
	VADDPD  (DX), Z4, Z4
	VADDPD  64(DX), Z5, Z5
	VMOVUPD Z4, (DX)
	VMOVUPD Z5, 64(DX)
	ADDQ    R8, DX
	VADDPD  (DX), Z6, Z6
	VADDPD  64(DX), Z7, Z7
	VMOVUPD Z6, (DX)
	VMOVUPD Z7, 64(DX)
	ADDQ    R8, DX
	VADDPD  (DX), Z8, Z8
	VADDPD  64(DX), Z9, Z9
	VMOVUPD Z8, (DX)
	VMOVUPD Z9, 64(DX)
	ADDQ    R8, DX
	VADDPD  (DX), Z10, Z10
	VADDPD  64(DX), Z11, Z11
	VMOVUPD Z10, (DX)
	VMOVUPD Z11, 64(DX)
	ADDQ    R8, DX
	VADDPD  (DX), Z12, Z12
	VADDPD  64(DX), Z13, Z13
	VMOVUPD Z12, (DX)
	VMOVUPD Z13, 64(DX)
	ADDQ    R8, DX
	VADDPD  (DX), Z14, Z14
	VADDPD  64(DX), Z15, Z15
	VMOVUPD Z14, (DX)
	VMOVUPD Z15, 64(DX)
	ADDQ    R8, DX
	VADDPD  (DX), Z16, Z16
	VADDPD  64(DX), Z17, Z17
	VMOVUPD Z16, (DX)
	VMOVUPD Z17, 64(DX)
	ADDQ    R8, DX
	VADDPD  (DX), Z18, Z18
	VADDPD  64(DX), Z19, Z19
	VMOVUPD Z18, (DX)
	VMOVUPD Z19, 64(DX)
	ADDQ    R8, DX
	VADDPD  (DX), Z20, Z20
	VADDPD  64(DX), Z21, Z21
	VMOVUPD Z20, (DX)
	VMOVUPD Z21, 64(DX)
	ADDQ    R8, DX
	VADDPD  (DX), Z22, Z22
	VADDPD  64(DX), Z23, Z23
	VMOVUPD Z22, (DX)
	VMOVUPD Z23, 64(DX)
	VZEROUPPER
	RET

set512:
	VMOVUPD Z0, (DX)
	VMOVUPD Z1, 64(DX)
	ADDQ    R8, DX
	VMOVUPD Z2, (DX)
	VMOVUPD Z3, 64(DX)
	ADDQ    R8, DX
	VMOVUPD Z4, (DX)
	VMOVUPD Z5, 64(DX)
	ADDQ    R8, DX
	VMOVUPD Z6, (DX)
	VMOVUPD Z7, 64(DX)
	ADDQ    R8, DX
	VMOVUPD Z8, (DX)
	VMOVUPD Z9, 64(DX)
	ADDQ    R8, DX
	VMOVUPD Z10, (DX)
	VMOVUPD Z11, 64(DX)
	ADDQ    R8, DX
	VMOVUPD Z12, (DX)
	VMOVUPD Z13, 64(DX)
	ADDQ    R8, DX
	VMOVUPD Z14, (DX)
	VMOVUPD Z15, 64(DX)
	ADDQ    R8, DX
	VMOVUPD Z16, (DX)
	VMOVUPD Z17, 64(DX)
	ADDQ    R8, DX
	VMOVUPD Z18, (DX)
	VMOVUPD Z19, 64(DX)
	ADDQ    R8, DX
	VMOVUPD Z20, (DX)
	VMOVUPD Z21, 64(DX)
	ADDQ    R8, DX
	VMOVUPD Z22, (DX)
	VMOVUPD Z23, 64(DX)
	VZEROUPPER
	RET

// func kernel6x8AVX2(k int, a, b, c *float64, ldc int, add bool)
//
// 12 accumulators Y0-Y11: row r is Y(2r) (columns 0-3) and Y(2r+1)
// (columns 4-7). Each step loads 8 values of B into Y12, Y13 and broadcasts
// each of the 6 values of A into Y14 in turn.
TEXT ·kernel6x8AVX2(SB), NOSPLIT, $0-41
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $3, R8

	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	VXORPD Y8, Y8, Y8
	VXORPD Y9, Y9, Y9
	VXORPD Y10, Y10, Y10
	VXORPD Y11, Y11, Y11

	TESTQ CX, CX
	JZ    store256

loop256:
	VMOVUPD      (DI), Y12
	VMOVUPD      32(DI), Y13
	VBROADCASTSD (SI), Y14
	VFMADD231PD  Y12, Y14, Y0
	VFMADD231PD  Y13, Y14, Y1
	VBROADCASTSD 8(SI), Y14
	VFMADD231PD  Y12, Y14, Y2
	VFMADD231PD  Y13, Y14, Y3
	VBROADCASTSD 16(SI), Y14
	VFMADD231PD  Y12, Y14, Y4
	VFMADD231PD  Y13, Y14, Y5
	VBROADCASTSD 24(SI), Y14
	VFMADD231PD  Y12, Y14, Y6
	VFMADD231PD  Y13, Y14, Y7
	VBROADCASTSD 32(SI), Y14
	VFMADD231PD  Y12, Y14, Y8
	VFMADD231PD  Y13, Y14, Y9
	VBROADCASTSD 40(SI), Y14
	VFMADD231PD  Y12, Y14, Y10
	VFMADD231PD  Y13, Y14, Y11
	ADDQ         $48, SI
	ADDQ         $64, DI
	DECQ         CX
	JNZ          loop256

store256:
	MOVBLZX add+40(FP), R9
	TESTL   R9, R9
	JZ      set256
	VADDPD  (DX), Y0, Y0
	VADDPD  32(DX), Y1, Y1
	VMOVUPD Y0, (DX)
	VMOVUPD Y1, 32(DX)
	ADDQ    R8, DX
	VADDPD  (DX), Y2, Y2
	VADDPD  32(DX), Y3, Y3
	VMOVUPD Y2, (DX)
	VMOVUPD Y3, 32(DX)
	ADDQ    R8, DX
	VADDPD  (DX), Y4, Y4
	VADDPD  32(DX), Y5, Y5
	VMOVUPD Y4, (DX)
	VMOVUPD Y5, 32(DX)
	ADDQ    R8, DX
	VADDPD  (DX), Y6, Y6
	VADDPD  32(DX), Y7, Y7
	VMOVUPD Y6, (DX)
	VMOVUPD Y7, 32(DX)
	ADDQ    R8, DX
	VADDPD  (DX), Y8, Y8
	VADDPD  32(DX), Y9, Y9
	VMOVUPD Y8, (DX)
	VMOVUPD Y9, 32(DX)
	ADDQ    R8, DX
	VADDPD  (DX), Y10, Y10
	VADDPD  32(DX), Y11, Y11
	VMOVUPD Y10, (DX)
	VMOVUPD Y11, 32(DX)
	VZEROUPPER
	RET

set256:
	VMOVUPD Y0, (DX)
	VMOVUPD Y1, 32(DX)
	ADDQ    R8, DX
	VMOVUPD Y2, (DX)
	VMOVUPD Y3, 32(DX)
	ADDQ    R8, DX
	VMOVUPD Y4, (DX)
	VMOVUPD Y5, 32(DX)
	ADDQ    R8, DX
	VMOVUPD Y6, (DX)
	VMOVUPD Y7, 32(DX)
	ADDQ    R8, DX
	VMOVUPD Y8, (DX)
	VMOVUPD Y9, 32(DX)
	ADDQ    R8, DX
	VMOVUPD Y10, (DX)
	VMOVUPD Y11, 32(DX)
	VZEROUPPER
	RET

// func axpyAVX2(alpha float64, x, y *float64, n int)
//
// y[i] += alpha·x[i] for i < n, n a multiple of 16, with fused multiply-adds.
TEXT ·axpyAVX2(SB), NOSPLIT, $0-32
	VBROADCASTSD alpha+0(FP), Y0
	MOVQ         x+8(FP), SI
	MOVQ         y+16(FP), DI
	MOVQ         n+24(FP), CX
	SHRQ         $4, CX
	JZ           axpydone

axpyloop:
	VMOVUPD     (SI), Y1
	VMOVUPD     32(SI), Y2
	VMOVUPD     64(SI), Y3
	VMOVUPD     96(SI), Y4
	VFMADD213PD (DI), Y0, Y1
	VFMADD213PD 32(DI), Y0, Y2
	VFMADD213PD 64(DI), Y0, Y3
	VFMADD213PD 96(DI), Y0, Y4
	VMOVUPD     Y1, (DI)
	VMOVUPD     Y2, 32(DI)
	VMOVUPD     Y3, 64(DI)
	VMOVUPD     Y4, 96(DI)
	ADDQ        $128, SI
	ADDQ        $128, DI
	DECQ        CX
	JNZ         axpyloop

axpydone:
	VZEROUPPER
	RET

// func transpose8AVX512(kb int, src *float64, ld int, dst *float64, ldd int)
//
// Transposes an 8×kb block (8 rows of src, row stride ld) into kb rows of 8
// at dst (row stride ldd): dst[q·ldd+r] = src[r·ld+q], kb a multiple of 8.
// Each 8×8 block takes three rounds of shuffles: pairs of rows interleaved
// by element, then by 128-bit lane twice.
TEXT ·transpose8AVX512(SB), NOSPLIT, $0-40
	MOVQ kb+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), R8
	MOVQ dst+24(FP), DI
	MOVQ ldd+32(FP), R11
	SHLQ $3, R8
	SHLQ $3, R11
	LEAQ (R8)(R8*2), R9     // 3 rows of src
	LEAQ (SI)(R8*4), R10    // row 4 of src
	LEAQ (R11)(R11*2), R12  // 3 rows of dst
	LEAQ (DI)(R11*4), R13   // row 4 of dst
	MOVQ R11, R14
	SHLQ $3, R14            // 8 rows of dst
	SHRQ $3, CX
	JZ   t8done

t8loop:
	VMOVUPD (SI), Z0
	VMOVUPD (SI)(R8*1), Z1
	VMOVUPD (SI)(R8*2), Z2
	VMOVUPD (SI)(R9*1), Z3
	VMOVUPD (R10), Z4
	VMOVUPD (R10)(R8*1), Z5
	VMOVUPD (R10)(R8*2), Z6
	VMOVUPD (R10)(R9*1), Z7

	VUNPCKLPD Z1, Z0, Z8  // r0_0 r1_0 r0_2 r1_2 r0_4 r1_4 r0_6 r1_6
	VUNPCKHPD Z1, Z0, Z9  // r0_1 r1_1 r0_3 r1_3 …
	VUNPCKLPD Z3, Z2, Z10
	VUNPCKHPD Z3, Z2, Z11
	VUNPCKLPD Z5, Z4, Z12
	VUNPCKHPD Z5, Z4, Z13
	VUNPCKLPD Z7, Z6, Z14
	VUNPCKHPD Z7, Z6, Z15

	VSHUFF64X2 $0x88, Z10, Z8, Z0   // r0_0 r1_0 r0_4 r1_4 r2_0 r3_0 r2_4 r3_4
	VSHUFF64X2 $0xDD, Z10, Z8, Z1   // the same for columns 2 and 6
	VSHUFF64X2 $0x88, Z14, Z12, Z2  // rows 4-7, columns 0 and 4
	VSHUFF64X2 $0xDD, Z14, Z12, Z3  // rows 4-7, columns 2 and 6
	VSHUFF64X2 $0x88, Z11, Z9, Z4   // rows 0-3, columns 1 and 5
	VSHUFF64X2 $0xDD, Z11, Z9, Z5   // rows 0-3, columns 3 and 7
	VSHUFF64X2 $0x88, Z15, Z13, Z6  // rows 4-7, columns 1 and 5
	VSHUFF64X2 $0xDD, Z15, Z13, Z7  // rows 4-7, columns 3 and 7

	VSHUFF64X2 $0x88, Z2, Z0, Z16  // column 0
	VSHUFF64X2 $0xDD, Z2, Z0, Z20  // column 4
	VSHUFF64X2 $0x88, Z3, Z1, Z18  // column 2
	VSHUFF64X2 $0xDD, Z3, Z1, Z22  // column 6
	VSHUFF64X2 $0x88, Z6, Z4, Z17  // column 1
	VSHUFF64X2 $0xDD, Z6, Z4, Z21  // column 5
	VSHUFF64X2 $0x88, Z7, Z5, Z19  // column 3
	VSHUFF64X2 $0xDD, Z7, Z5, Z23  // column 7

	VMOVUPD Z16, (DI)
	VMOVUPD Z17, (DI)(R11*1)
	VMOVUPD Z18, (DI)(R11*2)
	VMOVUPD Z19, (DI)(R12*1)
	VMOVUPD Z20, (R13)
	VMOVUPD Z21, (R13)(R11*1)
	VMOVUPD Z22, (R13)(R11*2)
	VMOVUPD Z23, (R13)(R12*1)

	ADDQ $64, SI
	ADDQ $64, R10
	ADDQ R14, DI
	ADDQ R14, R13
	DECQ CX
	JNZ  t8loop

t8done:
	VZEROUPPER
	RET

// FOLD4 folds the four accumulators of one row of dot6x4AVX512 into the
// four sums of the row, in the low 256 bits of the first: lane pairs first
// (sums for columns 0 and 1, then 2 and 3, in each 128-bit lane), then
// 128-bit lanes, twice. Z24-Z30 are scratch.
#define FOLD4(z0, z1, z2, z3) \
	VUNPCKLPD  z1, z0, Z24; \
	VUNPCKHPD  z1, z0, Z25; \
	VADDPD     Z25, Z24, Z24; \
	VUNPCKLPD  z3, z2, Z26; \
	VUNPCKHPD  z3, z2, Z27; \
	VADDPD     Z27, Z26, Z26; \
	VSHUFF64X2 $0x44, Z26, Z24, Z28; \
	VSHUFF64X2 $0xEE, Z26, Z24, Z29; \
	VADDPD     Z29, Z28, Z28; \
	VSHUFF64X2 $0x88, Z28, Z28, Z29; \
	VSHUFF64X2 $0xDD, Z28, Z28, Z30; \
	VADDPD     Z30, Z29, z0

// func dot6x4AVX512(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, add bool)
//
// The product of a block of 6 rows of A and 4 rows of B, both stored with
// the depth along the row (C = A·Bᵀ, as x·Wᵀ), needs no packing: each
// accumulator Z(4r+j) sums 8 lanes of row r of A times row j of B, 8 depth
// steps at a time (k a multiple of 8), and the end folds each row's four
// accumulators into the four sums of C's row (FOLD4), left in Y(4r). add
// says whether the sums are added to C or stored.
TEXT ·dot6x4AVX512(SB), NOSPLIT, $0-57
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R8
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), R9
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R10
	SHLQ $3, R8
	SHLQ $3, R9
	SHLQ $3, R10
	LEAQ (R8)(R8*2), R11   // 3 rows of A
	LEAQ (SI)(R11*1), R12  // row 3 of A
	LEAQ (R9)(R9*2), R13   // 3 rows of B

	ZERO24
	SHRQ $3, CX
	JZ   fold6x4

loop6x4:
	VMOVUPD (SI), Z24
	VMOVUPD (SI)(R8*1), Z25
	VMOVUPD (SI)(R8*2), Z26
	VMOVUPD (R12), Z27
	VMOVUPD (R12)(R8*1), Z28
	VMOVUPD (R12)(R8*2), Z29
	VMOVUPD (DI), Z30
	VFMADD231PD Z30, Z24, Z0
	VFMADD231PD Z30, Z25, Z4
	VFMADD231PD Z30, Z26, Z8
	VFMADD231PD Z30, Z27, Z12
	VFMADD231PD Z30, Z28, Z16
	VFMADD231PD Z30, Z29, Z20
	VMOVUPD (DI)(R9*1), Z31
	VFMADD231PD Z31, Z24, Z1
	VFMADD231PD Z31, Z25, Z5
	VFMADD231PD Z31, Z26, Z9
	VFMADD231PD Z31, Z27, Z13
	VFMADD231PD Z31, Z28, Z17
	VFMADD231PD Z31, Z29, Z21
	VMOVUPD (DI)(R9*2), Z30
	VFMADD231PD Z30, Z24, Z2
	VFMADD231PD Z30, Z25, Z6
	VFMADD231PD Z30, Z26, Z10
	VFMADD231PD Z30, Z27, Z14
	VFMADD231PD Z30, Z28, Z18
	VFMADD231PD Z30, Z29, Z22
	VMOVUPD (DI)(R13*1), Z31
	VFMADD231PD Z31, Z24, Z3
	VFMADD231PD Z31, Z25, Z7
	VFMADD231PD Z31, Z26, Z11
	VFMADD231PD Z31, Z27, Z15
	VFMADD231PD Z31, Z28, Z19
	VFMADD231PD Z31, Z29, Z23
	ADDQ $64, SI
	ADDQ $64, R12
	ADDQ $64, DI
	DECQ CX
	JNZ  loop6x4

fold6x4:
	FOLD4(Z0, Z1, Z2, Z3)
	FOLD4(Z4, Z5, Z6, Z7)
	FOLD4(Z8, Z9, Z10, Z11)
	FOLD4(Z12, Z13, Z14, Z15)
	FOLD4(Z16, Z17, Z18, Z19)
	FOLD4(Z20, Z21, Z22, Z23)
	MOVBLZX add+56(FP), R14
	TESTL   R14, R14
	JZ      set6x4
	VADDPD  (DX), Y0, Y0
	VMOVUPD Y0, (DX)
	ADDQ    R10, DX
	VADDPD  (DX), Y4, Y4
	VMOVUPD Y4, (DX)
	ADDQ    R10, DX
	VADDPD  (DX), Y8, Y8
	VMOVUPD Y8, (DX)
	ADDQ    R10, DX
	VADDPD  (DX), Y12, Y12
	VMOVUPD Y12, (DX)
	ADDQ    R10, DX
	VADDPD  (DX), Y16, Y16
	VMOVUPD Y16, (DX)
	ADDQ    R10, DX
	VADDPD  (DX), Y20, Y20
	VMOVUPD Y20, (DX)
	VZEROUPPER
	RET

set6x4:
	VMOVUPD Y0, (DX)
	ADDQ    R10, DX
	VMOVUPD Y4, (DX)
	ADDQ    R10, DX
	VMOVUPD Y8, (DX)
	ADDQ    R10, DX
	VMOVUPD Y12, (DX)
	ADDQ    R10, DX
	VMOVUPD Y16, (DX)
	ADDQ    R10, DX
	VMOVUPD Y20, (DX)
	VZEROUPPER
	RET
