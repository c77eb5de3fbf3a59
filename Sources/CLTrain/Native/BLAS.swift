import CBLAS

/// `C (m, n) = op(A) (m, k) · op(B) (k, n)`, plus C itself when `accumulate`; all row-major, a transposed factor
/// read transposed in place. OpenBLAS must be loaded (`OpenBLAS.load()`, which NativeBackend's init runs).
func gemm(_ a: UnsafePointer<Float>, transposeA: Bool = false, _ b: UnsafePointer<Float>, transposeB: Bool = false,
          into c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int, accumulate: Bool = false) {
    dl_cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                   Int32(m), Int32(n), Int32(k), 1, a, Int32(transposeA ? m : k), b, Int32(transposeB ? k : n),
                   accumulate ? 1 : 0, c, Int32(n))
}
