import CLTrain

extension Checkpoint {
    /// Refuses data whose images or classes differ from what the checkpoint's model was built for: its
    /// figures on such data would mean nothing.
    func checkFits(_ data: LoadedData, path: String) throws {
        guard data.test.shape == model.input, data.test.classes <= model.classes else {
            throw CommandError("\(path): the model takes \(model.input) images of \(model.classes) classes, but "
                + "\(data.source) has \(data.test.shape) images of \(data.test.classes); pass the data it was trained on")
        }
    }
}
