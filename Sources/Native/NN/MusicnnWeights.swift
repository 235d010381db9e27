import Foundation

/// musicnn's pretrained networks (Pons & Serra 2019, the `musicnn` package on PyPI, ISC
/// licence): their TensorFlow checkpoints, shipped inside the package's wheel, converted to
/// safetensors under TensorFlow's variable names (`conv2d/kernel`, HWIO; `batch_normalization/
/// moving_mean`, ...), without the optimiser's slots. `mashup weights` (`make weights`) fetches
/// the wheel and converts them; nothing of them is committed.
public enum MusicnnWeights {
    /// The four networks in the wheel: the musically motivated CNN and a VGG-like one, each
    /// trained on the Million Song Dataset's or MagnaTagATune's 50 tags.
    public enum Model: String, CaseIterable, Sendable {
        case msdMusicnn = "MSD_musicnn"
        case mttMusicnn = "MTT_musicnn"
        case msdVGG = "MSD_vgg"
        case mttVGG = "MTT_vgg"

        /// The 50 tags its last layer scores, in output order.
        public var tags: [String] { rawValue.hasPrefix("MSD") ? MusicnnWeights.msdTags : MusicnnWeights.mttTags }

        /// A variable only this architecture has, to tell a checkpoint of the other one.
        var signature: String { rawValue.hasSuffix("vgg") ? "5CNN/kernel" : "conv2d_7/kernel" }

        /// The converted file's name.
        public var fileName: String { rawValue + ".safetensors" }
    }

    public static let package = "musicnn"
    public static let version = "0.1.0"
    public static var wheel: String { "\(package)-\(version)-py3-none-any.whl" }

    /// Whether a checkpoint variable belongs to the network (not Adam's moments or step powers).
    public static func isNetworkVariable(_ name: String) -> Bool {
        !name.hasSuffix("/Adam") && !name.hasSuffix("/Adam_1") && !name.hasPrefix("beta1_power")
            && !name.hasPrefix("beta2_power") && name != "global_step"
    }

    /// Converts the checkpoint at `prefix` (for the wheel's `musicnn/MSD_musicnn/`, that folder
    /// with its trailing slash: the files are `.index` and `.data-00000-of-00001`) into a
    /// safetensors file at `path`, atomically; returns how many tensors it wrote.
    @discardableResult
    public static func convert(checkpoint prefix: String, model: Model, to path: String) throws -> Int {
        let tensors = try TensorFlowCheckpoint.read(prefix, include: isNetworkVariable)
        guard tensors[model.signature] != nil else {
            throw SerializationError(
                prefix,
                "not a \(model.rawValue) checkpoint: it has no '\(model.signature)' (\(tensors.count) variables)")
        }
        let metadata = [
            "model": model.rawValue, "source": "\(package) \(version) (PyPI wheel, ISC licence)",
            "layout": "TensorFlow: conv kernels (height = time, width = mel, in, out), dense kernels (in, out)",
            "tags": model.tags.joined(separator: ","),
        ]
        try SafeTensors.write(path, tensors.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, metadata: metadata)
        return tensors.count
    }

    /// A converted file's tensors, checked to be `model`'s: a missing, corrupt or other
    /// network's file is refused with what to run.
    public static func load(_ path: String, model: Model) throws -> [String: SafeTensorValue] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw SerializationError(
                path,
                "no \(model.rawValue) weights here; run `make weights` (or `mashup weights`) to fetch and convert them")
        }
        let file: SafeTensors.File
        do {
            file = try SafeTensors.read(path)
        } catch {
            throw SerializationError(
                path,
                "cannot read the \(model.rawValue) weights (\(error)); run `mashup weights --force` to convert them again"
            )
        }
        guard file.metadata["model"] == model.rawValue, file.tensors[model.signature] != nil else {
            throw SerializationError(
                path,
                "holds \(file.metadata["model"].map { "the \($0) network" } ?? "no musicnn network"), not \(model.rawValue); run `mashup weights`"
            )
        }
        if let bad = nonFiniteTensorNames(file.tensors).first {
            throw SerializationError(
                path, "tensor '\(bad)' holds NaN or infinite numbers; run `mashup weights --force`")
        }
        return file.tensors
    }

    /// MagnaTagATune's 50 tags, in the networks' output order.
    public static let mttTags = [
        "guitar", "classical", "slow", "techno", "strings", "drums", "electronic", "rock", "fast", "piano",
        "ambient", "beat", "violin", "vocal", "synth", "female", "indian", "opera", "male", "singing", "vocals",
        "no vocals", "harpsichord", "loud", "quiet", "flute", "woman", "male vocal", "no vocal", "pop", "soft",
        "sitar", "solo", "man", "classic", "choir", "voice", "new age", "dance", "male voice", "female vocal",
        "beats", "harp", "cello", "no voice", "weird", "country", "metal", "female voice", "choral",
    ]

    /// The Million Song Dataset's 50 Last.fm tags, in the networks' output order.
    public static let msdTags = [
        "rock", "pop", "alternative", "indie", "electronic", "female vocalists", "dance", "00s", "alternative rock",
        "jazz", "beautiful", "metal", "chillout", "male vocalists", "classic rock", "soul", "indie rock", "Mellow",
        "electronica", "80s", "folk", "90s", "chill", "instrumental", "punk", "oldies", "blues", "hard rock",
        "ambient", "acoustic", "experimental", "female vocalist", "guitar", "Hip-Hop", "70s", "party", "country",
        "easy listening", "sexy", "catchy", "funk", "electro", "heavy metal", "Progressive rock", "60s", "rnb",
        "indie pop", "sad", "House", "happy",
    ]
}
