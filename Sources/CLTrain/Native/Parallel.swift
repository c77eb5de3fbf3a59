import Foundation
import Synchronization

/// Runs `body(part, items)` over `0..<count` cut into `min(workers, count)` contiguous parts, in parallel on the host
/// team, for the native layers whose work splits (samples, planes, rows, parameters).
func inParallel(batch count: Int, workers: Int, _ body: (Int, Range<Int>) -> Void) {
    let parts = max(1, min(workers, count))
    inParallel(parts: parts) { body($0, share(count, part: $0, of: parts)) }
}

/// Runs `body(0..<parts)` in parallel on the host team. OpenBLAS runs single-threaded (`OpenBLAS.load`): the parts
/// already fill the cores, and its products there are too narrow to gain from splitting (LeNet-5's 6 or 16
/// channels). Leaving its threads on made LeNet-5's epoch 4× slower here (19.4 s against 4.8 s): two callers each
/// woke two threads.
func inParallel(parts: Int, _ body: (Int) -> Void) {
    HostTeam.shared.run(parts: parts, body)
}

/// Part `part` of `0..<count` cut into `parts` contiguous ranges as even as they come (some may be empty).
func share(_ count: Int, part: Int, of parts: Int) -> Range<Int> {
    (part * count / parts)..<((part + 1) * count / parts)
}

/// Workers for those layers: `HostThreads.count`, unless a test has injected a count (`HostTeam.$injectedWorkers`).
var hostWorkers: Int { HostTeam.injectedWorkers ?? HostThreads.count }

/// Threads that stay up between parallel parts: the caller runs part 0 and thread i part i. A training step
/// hands out a job every few microseconds (the lesson: about 12 a step of 0.3 ms), so between jobs the threads
/// wait on the job counter (`wait`) before they sleep; waking GCD's threads for every job (`concurrentPerform`)
/// left a core idle for much of each short part.
final class HostTeam: @unchecked Sendable {
    static let shared = HostTeam()

    /// The worker count native operations created in this task take, whatever the machine's cores: tests run the
    /// split paths with it on any machine.
    @TaskLocal static var injectedWorkers: Int?

    /// How a thread waits, for a job or for the other parts: first spinning (a spin, one load and a compare, takes
    /// 0.4 ns here), for the short gaps inside a step; then yielding its core at each look, some 200 µs in all, so
    /// that a thread with work gets the core where there are more threads than cores (`--threads 3` on 2 cores
    /// trained the lesson 10× slower while waiters only spun) or other processes; then, for a job, sleeping, so an
    /// idle process does not keep a core busy. With 20,000 spins and no yields the threads slept inside each lesson
    /// step, and waking them took longer than the parts they ran.
    private static let spins = 4_096, yields = 400

    /// Waits while `waiting()`: `spins` looks, then `yields` looks each after a `sched_yield`; false if it still is.
    private static func wait(while waiting: () -> Bool) -> Bool {
        for _ in 0..<spins where !waiting() { return true }
        for _ in 0..<yields where waiting() { sched_yield() }
        return !waiting()
    }

    /// Bumped for each job; a thread that sees it change runs its part.
    private let generation = Atomic<Int>(0)
    /// Threads that have not yet finished the current job.
    private let pending = Atomic<Int>(0)
    /// Set while a job runs: a job started meanwhile (from a part, or another thread) runs its parts in turn instead.
    private let busy = Atomic<Bool>(false)
    /// The current job and its part count, written before `generation` is bumped and read after it is seen.
    private var job: ((Int) -> Void)?
    private var parts = 0
    /// Guards the sleepers' count and wakes them.
    private let bell = NSCondition()
    private var sleepers = 0
    private var threads = 0

    /// Runs `body(0..<parts)`, each part on its own thread, and returns when all have finished.
    func run(parts: Int, _ body: (Int) -> Void) {
        guard parts > 1, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for part in 0..<parts { body(part) }
            return
        }
        defer { busy.store(false, ordering: .releasing) }
        withoutActuallyEscaping(body) { body in
            growTo(parts - 1)
            job = body
            self.parts = parts
            pending.store(threads, ordering: .relaxed)
            bell.lock()
            generation.add(1, ordering: .releasing)
            if sleepers > 0 { bell.broadcast() }
            bell.unlock()
            body(0)
            while !Self.wait(while: { pending.load(ordering: .acquiring) > 0 }) { sched_yield() }
            job = nil
        }
    }

    /// Starts threads until there are `count` (they are never stopped: the team lives as long as the process).
    private func growTo(_ count: Int) {
        while threads < count {
            threads += 1
            let index = threads, seen = generation.load(ordering: .acquiring)
            let thread = Thread { [unowned self] in self.serve(index, seen: seen) }
            thread.name = "cltrain host \(index)"
            thread.start()
        }
    }

    private func serve(_ index: Int, seen: Int) {
        var seen = seen
        while true {
            if !Self.wait(while: { generation.load(ordering: .acquiring) == seen }) {
                bell.lock()
                sleepers += 1
                while generation.load(ordering: .acquiring) == seen { bell.wait() }
                sleepers -= 1
                bell.unlock()
            }
            seen = generation.load(ordering: .acquiring)
            if index < parts { job!(index) }
            pending.subtract(1, ordering: .releasing)
        }
    }
}
