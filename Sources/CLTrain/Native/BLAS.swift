import CBLAS

/// `C (m, n) = op(A) (m, k) · op(B) (k, n)`, plus C itself when `accumulate`; all row-major, a transposed factor
/// read transposed in place. `rowLengths` are the floats from one stored row of A, B and C to the next (BLAS's
/// leading dimensions) where a product covers part of a larger matrix; by default, the rows are the matrices'
/// own. OpenBLAS must be loaded (`OpenBLAS.load()`, which NativeBackend's init runs).
func gemm(_ a: UnsafePointer<Float>, transposeA: Bool = false, _ b: UnsafePointer<Float>, transposeB: Bool = false,
          into c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int, accumulate: Bool = false,
          rowLengths: (a: Int, b: Int, c: Int)? = nil) {
    let rows = rowLengths ?? (transposeA ? m : k, transposeB ? k : n, n)
    dl_cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                   Int32(m), Int32(n), Int32(k), 1, a, Int32(rows.a), b, Int32(rows.b),
                   accumulate ? 1 : 0, c, Int32(rows.c))
}
