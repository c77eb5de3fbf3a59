import Dispatch

/// Runs `body(part, samples)` over a batch cut into `workers` contiguous parts, in parallel, for the native layers
/// whose work splits by sample (convolution). OpenBLAS runs single-threaded meanwhile: the parts already fill the
/// cores, and its products there are too narrow to gain from splitting (LeNet-5's 6 or 16 channels). Leaving its
/// threads on made LeNet-5's epoch 4× slower here (19.4 s against 4.8 s): two callers each woke two threads.
func inParallel(batch: Int, workers: Int, _ body: (Int, Range<Int>) -> Void) {
    let parts = max(1, min(workers, batch))
    func samples(_ part: Int) -> Range<Int> { (part * batch / parts)..<((part + 1) * batch / parts) }
    guard parts > 1 else { return body(0, samples(0)) }
    let threads = OpenBLAS.threads
    OpenBLAS.setThreads(1)
    DispatchQueue.concurrentPerform(iterations: parts) { body($0, samples($0)) }
    if let threads { OpenBLAS.setThreads(threads) }
}

/// Workers for those layers: as many as OpenBLAS has threads, which `--threads` sets (one while it is not loaded).
var hostWorkers: Int { max(1, OpenBLAS.threads ?? 1) }
