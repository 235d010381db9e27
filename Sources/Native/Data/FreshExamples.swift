/// Training examples made on demand: a mashup from the builder, the audio augmentations, then
/// the model's input spectrogram. Example `index` draws the mashup from the builder's stream
/// `index` and the augmentations from a stream beside it, so it is the same on any thread.
public struct FreshExamples: Sendable {
    public let builder: MashupBuilder
    public let input: ModelInput
    public let augmentation: AudioPipeline?

    public init(builder: MashupBuilder, input: ModelInput, augmentation: AudioPipeline? = nil) {
        (self.builder, self.input, self.augmentation) = (builder, input, augmentation)
    }

    public func spectrogram(_ index: Int, anchor: Int? = nil, worker: Int = 0) throws -> (Spectrogram, label: Int) {
        let example = try builder.example(index, anchor: anchor)
        var audio = example.audio
        if let augmentation {
            var r = Random(seed: builder.seed ^ 0xA5A5_5A5A_0F0F_F0F0).stream(UInt64(index))
            audio = try augmentation.apply(audio, random: &r, worker: worker)
        }
        return (try input.spectrogram(audio), example.label)
    }
}
