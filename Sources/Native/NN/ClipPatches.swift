// A patch network over whole clips, as musicnn's extractor uses its networks:
//   x (N, 1, F, T), mel-first like the data pipeline's spectrograms
//   -> P = max(1, T / patch) non-overlapping patches per clip (the package's default), each
//      transposed to the network's time-first (patch, F); frames past the last whole patch are
//      dropped, a clip shorter than one patch is zero-padded to one
//   -> the network on the N x P patches -> the mean over each clip's patches that hold audio
// of the logits (forward) and of the features (embed). A patch of zeros only is padding (a
// 16 s test mashup fitted to 30 s ends in 14 s of it) and is left out of its clip's mean,
// unless the whole clip is zeros. Backward spreads each clip's gradient evenly over the patches
// of its mean and undoes the cut: frames and patches outside the mean get zero gradient.

func clip_patches_forward(
    _ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ N: Int, _ F: Int, _ T: Int, _ P: Int,
    _ patch: Int
) {
    Engine.parallelFor(N * P) { np in
        let (n, p) = (np / P, np % P)
        let dst = out + np * patch * F
        for t in 0..<patch {
            let source = p * patch + t
            for f in 0..<F { dst[t * F + f] = source < T ? x[(n * F + f) * T + source] : 0 }
        }
    }
}

func clip_patches_backward(
    _ dx: UnsafeMutablePointer<Float>, _ dpatches: UnsafePointer<Float>, _ N: Int, _ F: Int, _ T: Int, _ P: Int,
    _ patch: Int
) {
    Engine.parallelFor(N) { n in
        for f in 0..<F {
            let row = dx + (n * F + f) * T
            for t in 0..<T {
                let (p, within) = (t / patch, t % patch)
                row[t] = p < P ? dpatches[((n * P + p) * patch + within) * F + f] : 0
            }
        }
    }
}

/// Each patch's weight in its clip's mean: 1 / (the clip's patches with a nonzero value), or 0
/// for a patch of zeros (padding); 1 / P for all of a clip of zeros.
func patch_weights(_ patches: UnsafePointer<Float>, _ N: Int, _ P: Int, _ size: Int) -> [Float] {
    var weights = [Float](repeating: 0, count: N * P)
    weights.withUnsafeMutableBufferPointer { w in
        let w = w.baseAddress!
        Engine.parallelFor(N) { n in
            var audible = 0
            for p in 0..<P {
                let patch = patches + (n * P + p) * size
                var any = false
                for i in 0..<size where patch[i] != 0 {
                    any = true
                    break
                }
                w[n * P + p] = any ? 1 : 0
                audible += any ? 1 : 0
            }
            for p in 0..<P { w[n * P + p] = audible == 0 ? 1 / Float(P) : w[n * P + p] / Float(audible) }
        }
    }
    return weights
}

/// The weighted sum over each group of `P` consecutive rows of (N x P, C): (N, C).
func patch_mean(
    _ out: UnsafeMutablePointer<Float>, _ rows: UnsafePointer<Float>, _ weights: [Float], _ N: Int, _ P: Int,
    _ C: Int
) {
    Engine.parallelFor(N) { n in
        for c in 0..<C {
            var sum: Float = 0
            for p in 0..<P where weights[n * P + p] != 0 { sum += weights[n * P + p] * rows[(n * P + p) * C + c] }
            out[n * C + c] = sum
        }
    }
}

/// A `PretrainedBackbone` that takes whole clips (N, 1, mels, frames), mel-first, cuts each into
/// the network's patches and averages over them: see the top of this file. Its parameters,
/// groups and state are the network's, under the name `network`.
public final class ClipPatches: PretrainedBackbone {
    public let network: any PretrainedBackbone
    /// Frames per patch (musicnn's 187, 3 s).
    public let patch: Int
    public var isTraining: Bool {
        get { network.isTraining }
        set { network.isTraining = newValue }
    }
    public var workspace: Workspace {
        get { network.workspace }
        set { network.workspace = newValue }
    }
    // recorded: the clips' shape, the patch count and each patch's weight in its clip's mean
    private var recorded: (shape: [Int], patches: Int, weights: [Float])?

    public init(_ network: any PretrainedBackbone, patch: Int) throws {
        guard patch > 0 else { throw NNError("ClipPatches: expected a patch of at least 1 frame, got \(patch)") }
        (self.network, self.patch) = (network, patch)
    }

    public var children: [(name: String, module: any Module)] { [("network", network)] }
    public var groups: [(name: String, modules: [any Module])] { network.groups }
    public var trainableGroups: Int? {
        get { network.trainableGroups }
        set { network.trainableGroups = newValue }
    }

    /// The clips' patches, (N x P, 1, patch, F), P, and each patch's weight in its clip's mean.
    private func patches(_ x: Tensor) throws -> (Tensor, Int, [Float]) {
        try checkImage(x, channels: 1, "clip patches")
        let (n, f, t) = (x.shape[0], x.shape[2], x.shape[3])
        let p = max(1, t / patch)
        let out = workspace.uninitialized([n * p, 1, patch, f])
        clip_patches_forward(out.data, x.data, n, f, t, p, patch)
        return (out, p, patch_weights(out.data, n, p, patch * f))
    }

    private func mean(_ rows: Tensor, patches p: Int, _ weights: [Float]) throws -> Tensor {
        let (np, c) = (rows.shape[0], rows.count / max(1, rows.shape[0]))
        let out = workspace.uninitialized([np / p, c])
        patch_mean(out.data, rows.data, weights, np / p, p, c)
        return out
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        let (cut, p, weights) = try patches(x)
        let logits = try network.forward(cut)
        if records { recorded = (x.shape, p, weights) }
        return try mean(logits, patches: p, weights)
    }

    public func backward(_ dlogits: Tensor) throws -> Tensor {
        guard let (shape, p, weights) = recorded else {
            throw NNError("clip patches: backward called before forward")
        }
        recorded = nil
        let (n, c) = (dlogits.shape[0], dlogits.count / max(1, dlogits.shape[0]))
        guard n == shape[0] else {
            throw NNError("clip patches: backward expects a gradient of \(shape[0]) clips, got \(dlogits.shape)")
        }
        // each patch's logits count with its weight in its clip's mean
        let spread = workspace.uninitialized([n * p, c])
        let (d, s) = (dlogits.data, spread.data)
        Engine.parallelFor(n * p) { row in
            for k in 0..<c { s[row * c + k] = d[(row / p) * c + k] * weights[row] }
        }
        let dpatches = try network.backward(spread)
        let dx = workspace.uninitialized(shape)
        clip_patches_backward(dx.data, dpatches.data, n, shape[2], shape[3], p, patch)
        return dx
    }

    public func embed(_ x: Tensor) throws -> Tensor {
        let (cut, p, weights) = try patches(x)
        return try mean(network.embed(cut), patches: p, weights)
    }

    public func load(tensorflow tensors: [String: SafeTensorValue], head: Bool) throws {
        try network.load(tensorflow: tensors, head: head)
    }
}
