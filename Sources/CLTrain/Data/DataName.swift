import Foundation

extension LoadedData {
    /// What messages call the data: the published dataset's name where it was read from that dataset's own folder (the
    /// cache `cltrain fetch` fills, or the system's), else the name of the folder or file the user named, e.g.
    /// "myclothes_idx": data in MNIST's format is not MNIST. CIFAR's binary batches name their dataset by their format
    /// (and their `batches.meta.txt`), which no other dataset shares.
    public var name: String {
        if kind == .cifar10 || kind == .cifar100 { return kind.displayName }
        let homes = [kind.systemDirectory, kind.cacheDirectory()].compactMap { $0 }
        if files.allSatisfy({ file in homes.contains { file.hasPrefix($0 + "/") } }) { return kind.displayName }
        let folders = Set(files.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path })
        let named = folders.count == 1 && files.count > 2 ? folders.first! : files[0]
        return URL(fileURLWithPath: named).lastPathComponent
    }
}
