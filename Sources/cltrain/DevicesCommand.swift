import ArgumentParser
import CLKit
import CLTrain
import Foundation

struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "List every OpenCL platform and device, marking the one --device auto picks."
    )

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let report = try DeviceReport.current()
        print(json ? try report.reportJSON() : report.table())
        // Scripts can tell "nothing to compute on" from a listing.
        if report.isEmpty { throw ExitCode.failure }
    }
}
