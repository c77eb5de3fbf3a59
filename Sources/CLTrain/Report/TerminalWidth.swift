import Foundation

/// Columns of the terminal on `descriptor`: what the kernel says (TIOCGWINSZ, which follows resizes), else
/// `$COLUMNS`, else 80.
public func terminalColumns(of descriptor: Int32 = STDOUT_FILENO) -> Int {
    var size = winsize()
    if ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 { return Int(size.ws_col) }
    if let columns = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init), columns > 0 { return columns }
    return 80
}
