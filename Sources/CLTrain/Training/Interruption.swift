import Foundation

/// Ctrl-C (SIGINT) and SIGTERM during training. The first asks the training loop to stop before its next batches,
/// so the run ends between steps with its files whole; a second ends the process at once, removing the temporary
/// file of a write in flight (every file is replaced whole or not at all, so none is damaged).
public enum Interruption {
    /// The signal received, 0 while none: written only by the handler, read by the loop.
    private static var received: Int32 = 0
    private static var installed = false

    /// The signal that asked training to stop, if one did.
    public static var requested: Int32? { received == 0 ? nil : received }

    /// Whether `number` is handled here, once `install` has run (`TemporaryFiles` then leaves it alone).
    static func handles(_ number: Int32) -> Bool { installed && (number == SIGINT || number == SIGTERM) }

    /// Takes over SIGINT and SIGTERM for the rest of the process. A signal the process ignores (a background job's
    /// SIGINT, `nohup`) stays ignored.
    public static func install() {
        _ = TemporaryFiles.prepareForSignals
        installed = true
        for number in [SIGINT, SIGTERM] {
            TemporaryFiles.handle(number) { number in
                if Interruption.received != 0 {
                    TemporaryFiles.removeInFlight()
                    _exit(128 + number)
                }
                Interruption.received = number
            }
        }
    }
}
