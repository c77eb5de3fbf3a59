import Foundation
import CLKit
@testable import CLTrain
import Testing

@Suite struct DeviceSelectionTests {
    @Test(arguments: [
        ("auto", DeviceSelection.auto), ("AUTO", .auto), (" auto ", .auto),
        ("0", .index(0)), ("12", .index(12)),
        ("0:1", .platformDevice(platform: 0, device: 1)), ("3:0", .platformDevice(platform: 3, device: 0)),
        ("pthread", .name("pthread")), ("GeForce RTX", .name("GeForce RTX")), ("gfx1100", .name("gfx1100")),
    ])
    func parsesEverySyntax(_ text: String, _ expected: DeviceSelection) throws {
        #expect(try DeviceSelection(parsing: text) == expected)
    }

    @Test(arguments: ["", "   ", "1:", ":1", "1:x", "99999999999999999999999", "0:99999999999999999999999"])
    func refusesBadInput(_ text: String) {
        #expect(throws: DeviceSelectionError.self) { try DeviceSelection(parsing: text) }
    }

    @Test func resolvesAgainstTheInstalledDevices() throws {
        let devices = try OpenCL.allDevices()
        let first = try #require(devices.first, "no OpenCL device: install pocl-opencl-icd")
        #expect(try DeviceSelection.index(0).resolve(in: devices).name == first.name)
        #expect(try DeviceSelection.platformDevice(platform: first.platformIndex, device: first.index)
            .resolve(in: devices).name == first.name)
        #expect(try DeviceSelection.name(String(first.name.prefix(4)).uppercased()).resolve(in: devices).name == first.name)
        let auto = try DeviceSelection.auto.resolve(in: devices)
        #expect(auto.kind == .gpu || !devices.contains { $0.kind == .gpu })
    }

    @Test func unknownDeviceListsTheAvailableOnes() throws {
        let devices = try OpenCL.allDevices()
        let first = try #require(devices.first)
        for selection in [DeviceSelection.index(devices.count), .platformDevice(platform: 9, device: 0), .name("no such device")] {
            do {
                _ = try selection.resolve(in: devices)
                Issue.record("\(selection) resolved to a device")
            } catch let error as DeviceSelectionError {
                #expect(error.description.contains("no device matches '\(selection)'"))
                #expect(error.description.contains(first.name))
            }
        }
        #expect(throws: DeviceSelectionError.noDevices) { try DeviceSelection.auto.resolve(in: []) }
    }
}

/// A platform without devices is the normal state of a GPU driver on a machine without its GPU; a platform that
/// fails to list them is a broken driver. `devices` says which.
@Test func devicesTellsAnEmptyPlatformFromABrokenOne() {
    let report = DeviceReport(platforms: [
        .init(index: 0, name: "rusticl", vendor: "Mesa", version: "OpenCL 3.0", devices: [], problem: nil),
        .init(index: 1, name: "Broken", vendor: "Vendor", version: "OpenCL 3.0", devices: [],
              problem: "clGetDeviceIDs failed with CL_OUT_OF_HOST_MEMORY"),
    ], mpi: .init(libraries: [], launch: nil))
    let lines = report.table().split(separator: "\n").map(String.init)
    #expect(lines[1] == "  no devices: this driver found no hardware it drives here")
    #expect(lines[3].contains("failed to list its devices (clGetDeviceIDs failed with CL_OUT_OF_HOST_MEMORY)")
            && lines[3].contains("check this driver's installation"))
}

/// `devices` says which MPI libraries the machine has and, under `mpirun`, which rank this process is.
@Test func devicesSaysWhetherMPIIsFoundAndWhichRankThisIs() throws {
    func line(_ mpi: DeviceReport.MPIEntry) -> String? {
        DeviceReport(platforms: [], mpi: mpi).table().split(separator: "\n").map(String.init).first { $0.hasPrefix("MPI: ") }
    }
    #expect(line(.init(libraries: [], launch: nil))?.contains("no MPI library found (apt-get install openmpi-bin or mpich") == true)
    #expect(line(.init(libraries: [(.openMPI, "libmpi.so.40")], launch: nil)) == "MPI: Open MPI (libmpi.so.40) found; not started by mpirun")
    let launch = MPILaunch(flavor: .mpich, rank: 2, size: 3, localRank: 0)
    #expect(line(.init(libraries: [(.mpich, "libmpich.so.12")], launch: launch))
            == "MPI: MPICH (libmpich.so.12) found; this is rank 2 of 3 (local rank 0)")
    let json = try DeviceReport(platforms: [], mpi: .init(libraries: [(.mpich, "libmpich.so.12")], launch: launch)).reportJSON()
    let mpi = try #require((try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])?["mpi"] as? [String: Any])
    #expect(mpi["rank"] as? Int == 2 && mpi["size"] as? Int == 3 && mpi["local_rank"] as? Int == 0)
    #expect((mpi["libraries"] as? [[String: String]])?.first == ["flavor": "MPICH", "file": "libmpich.so.12"])
}
