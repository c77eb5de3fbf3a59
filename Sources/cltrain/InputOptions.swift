import ArgumentParser
import CLTrain

/// How a new run prepares its inputs: `--normalize` and `--augment`. A resumed run keeps the checkpoint's.
struct InputOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Per-channel normalization, (x/255 − mean)/std: \(NormalizationChoice.syntax); auto measures "
                               + "the training set. Stored in the checkpoint. (default: 0.5,0.5)", valueName: "values"))
    var normalize: String?

    @Option(help: ArgumentHelp("Training batches only: random crop after zero padding by P pixels and/or random horizontal "
                               + "flip, drawn from (seed, epoch, sample). Stored in the checkpoint. (default: none)", valueName: "crop=P,flip"))
    var augment: String?

    func validate() throws {
        if let augment {
            do { _ = try Augmentation(parsing: augment) } catch {
                throw ValidationError("\(error.option) must be \(error.expected), got \(error.value)")
            }
        }
        if let normalize {
            do { _ = try NormalizationChoice(parsing: normalize) } catch {
                throw ValidationError("\(error.option) must be \(error.expected), got \(error.value)")
            }
        }
    }

    var isSet: Bool { normalize != nil || augment != nil }

    /// The augmentation a new run uses (validated above).
    var augmentation: Augmentation { (try? augment.map(Augmentation.init(parsing:))) ?? .none }

    /// The normalization a new run on `data`'s training set uses.
    func normalization(for data: LoadedData) throws -> Normalization {
        guard let normalize else { return .lesson }
        do { return try NormalizationChoice(parsing: normalize).resolved(for: data.train, identity: data.identity) } catch {
            throw CommandError("\(error.option) \(normalize): expected \(error.expected), got \(error.value)")
        }
    }
}
