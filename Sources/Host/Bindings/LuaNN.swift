import CLua
import Foundation
import Native

/// A network or layer as Lua holds it. `forward` and `backward` return tensors the script
/// keeps: the layer's reused buffers are copied out (logits and gradients are small next to
/// the work that made them; the overhead is measured in LuaNNTests).
final class ModuleObject: LuaObject {
    let module: any Module

    init(_ module: any Module) { self.module = module }

    static let luaTypeName = "mashup.module"

    var luaDescription: String { ModuleTree.text(module) }

    /// The parameters an optimiser updates: all of them, but for a partly frozen musicnn.
    var trainable: [(name: String, parameter: Parameter)] {
        (module as? any PretrainedBackbone)?.trainableNamedParameters ?? module.namedParameters()
    }

    static let methods: [Binding] = [
        // net:forward(x) -> the output, a new tensor.
        Binding("forward") { lua in
            let module = try receiver(lua).module
            let out = try module.forward(try lua.object(2, as: TensorObject.self).tensor)
            // Forward hands back a tensor the caller owns (the network's workspace takes its
            // memory back when the last reference dies): no copy.
            return try lua.result(TensorObject(out))
        },
        // net:predict(x) -> the output in evaluation mode with nothing recorded for backward
        // (PyTorch's eval() under torch.no_grad()): convolutions with BatchNorm folded in and
        // no activations kept, so faster and smaller than forward. The mode is restored after.
        Binding("predict") { lua in
            let module = try receiver(lua).module
            let x = try lua.object(2, as: TensorObject.self).tensor
            let wasTraining = module.isTraining
            module.setTraining(false)
            defer { module.setTraining(wasTraining) }
            return try lua.result(TensorObject(try module.workspace.withoutRecording { try module.forward(x) }))
        },
        // net:backward(grad) -> d(loss)/d(input), a new tensor; parameter gradients accumulate
        // (clear them with zero_grad). A seresnet built without `input_grad = true` skips the
        // input gradient and returns nothing.
        Binding("backward") { lua in
            let module = try receiver(lua).module
            let dout = try lua.object(2, as: TensorObject.self).tensor
            if let buckets = module.workspace.gradientObserver as? GradientBuckets {  // mm.dist.overlap
                try buckets.beginBackward(examples: dout.rank > 0 ? dout.shape[0] : 1)
            }
            let dx = try module.backward(dout)
            if let net = module as? SEResNet, !net.computesInputGradient { return 0 }
            return try lua.result(TensorObject(dx))
        },
        // net:training() / net:evaluate(): batch statistics and dropout on or off; return net.
        Binding("training") { try setMode($0, training: true) },
        Binding("evaluate") { try setMode($0, training: false) },
        // net:is_training() -> true in training mode.
        Binding("is_training") { lua in try lua.result(receiver(lua).module.isTraining) },
        // net:parameters() -> the parameter list an optimiser takes (a musicnn's trainable ones).
        Binding("parameters") { lua in try lua.result(ParameterList(receiver(lua).trainable)) },
        // net:embed(x) -> a musicnn's penultimate features (N, 200) for x (N, 1, frames, 96), in
        // evaluation mode with nothing recorded: what a classifier of another task starts from.
        Binding("embed") { lua in
            guard let net = try receiver(lua).module as? any PretrainedBackbone else {
                throw LuaError.argument(1, "embed is a musicnn's (mm.nn.musicnn); this network has no embedding")
            }
            return try lua.result(TensorObject(try net.embed(try lua.object(2, as: TensorObject.self).tensor).copy()))
        },
        // net:parameter_count() -> trainable scalars, as PyTorch counts them.
        Binding("parameter_count") { lua in try lua.result(receiver(lua).module.parameterCount) },
        // net:named_parameters() -> {name = tensor}, each tensor sharing the parameter's storage.
        Binding("named_parameters") { lua in
            let named = try receiver(lua).module.namedParameters()
            return try lua.result(LuaRecord(named.map { ($0.name, TensorObject($0.parameter.value)) }))
        },
        Binding("zero_grad") { lua in try receiver(lua).module.zeroGrad() },
        // net:save(path): the state dict as safetensors under PyTorch's names, atomically.
        Binding("save") { lua in try receiver(lua).module.save(to: try lua.string(2)) },
        // net:load(path): strict by name; a mismatch lists missing, unexpected and mis-shaped
        // names and changes nothing.
        Binding("load") { lua in
            try receiver(lua).module.load(from: try lua.string(2))
            return lua.result(argument: 1)
        },
    ]

    private static func setMode(_ lua: Lua, training: Bool) throws -> Int32 {
        try receiver(lua).module.setTraining(training)
        return lua.result(argument: 1)
    }
}

/// What `net:parameters()` returns: the parameters in PyTorch's order, for an optimiser.
final class ParameterList: LuaObject {
    let named: [(name: String, parameter: Parameter)]

    init(_ named: [(name: String, parameter: Parameter)]) { self.named = named }

    static let luaTypeName = "mashup.parameters"

    var luaDescription: String {
        "parameters: \(named.count) tensors, \(named.reduce(0) { $0 + $1.parameter.value.count }) values"
    }

    static let methods: [Binding] = [
        // params:names() -> the dotted names in order.
        Binding("names") { lua in try lua.result(receiver(lua).named.map(\.name)) }
    ]

    static let metamethods = [length { $0.named.count }]

    /// The parameters at `index`: a parameter list, or a module (its parameters).
    static func argument(_ lua: Lua, _ index: Int32) throws -> [Parameter] {
        if let list = ParameterList.peek(lua.L, index) { return list.named.map(\.parameter) }
        if let module = ModuleObject.peek(lua.L, index) { return module.trainable.map(\.parameter) }
        throw LuaError.type(index, expected: "parameters (net:parameters(), or the network)")
    }
}

/// `mm.nn`: layers, the SE-ResNet and the loss.
enum LuaNN: LuaModule {
    static let name: String? = "nn"
    static var types: [any LuaObject.Type] { [ModuleObject.self, ParameterList.self] }

    static let functions: [Binding] = [
        // mm.nn.seresnet{widths = {64, 128, 256, 512}, blocks = {2, 2, 2, 2}, reduction = 16,
        // classes = 10, dropout = 0.5, in_channels = 1, input_grad = false}
        Binding("seresnet") { lua in
            let options = try lua.options(
                1, only: ["widths", "blocks", "reduction", "classes", "dropout", "in_channels", "input_grad"])
            var config = SEResNetConfig()
            config.widths = try options.integers("widths") ?? config.widths
            config.blocks = try options.integers("blocks") ?? config.blocks
            config.reduction = try options.integer("reduction", default: config.reduction)
            config.classes = try options.integer("classes", default: config.classes)
            config.dropout = try options.number("dropout", default: config.dropout)
            config.inChannels = try options.integer("in_channels", default: config.inChannels)
            let net = try SEResNet(config)
            net.computesInputGradient = try options.boolean("input_grad") ?? false
            return try lua.result(ModuleObject(net))
        },
        // mm.nn.musicnn{model = "musicnn" | "vgg", weights = "MSD" | "MTT" | false, classes = 50,
        // trainable = "all" | "head" | K, folder = "data/weights", dropout =, clips = false}
        // clips = true: the network takes whole clips (N, 1, 96, frames), mel-first as the data
        // pipeline's musicnn representation is, and averages logits and embeddings over their
        // 3 s patches (ClipPatches); otherwise patches (N, 1, 187, 96) as mm.dsp.musicnn gives.
        Binding("musicnn") { lua in
            let o = try lua.options(
                1, only: ["model", "weights", "classes", "trainable", "folder", "dropout", "clips"])
            let vgg = try o.choice("model", ["musicnn", "vgg"], default: "musicnn") == "vgg"
            let classes = try o.integer("classes", default: 50)
            let net: any PretrainedBackbone
            if vgg {
                var config = MusicnnVGGConfig()
                config.classes = classes
                config.headDropout = try o.number("dropout", default: config.headDropout)
                net = try MusicnnVGG(config)
            } else {
                var config = MusicnnConfig()
                config.classes = classes
                config.dropout = try o.number("dropout", default: config.dropout)
                net = try Musicnn(config)
            }
            var source: String? = "MSD"
            if o.type(of: "weights") == LUA_TBOOLEAN {
                guard try o.boolean("weights") == false else {
                    throw o.invalid("weights", "'MSD', 'MTT' or false (random weights) expected, got true")
                }
                source = nil
            } else {
                source = try o.choice("weights", ["MSD", "MTT"], default: "MSD")
            }
            if let source {
                let model = MusicnnWeights.Model(rawValue: "\(source)_\(vgg ? "vgg" : "musicnn")")!
                let folder =
                    try o.string("folder") ?? ProcessInfo.processInfo.environment["MASHUP_WEIGHTS"] ?? "data/weights"
                let tensors = try MusicnnWeights.load(folder + "/" + model.fileName, model: model)
                // A head for another number of classes starts afresh; the 50 tags keep theirs.
                try net.load(tensorflow: tensors, head: classes == 50)
            }
            switch o.type(of: "trainable") {
            case LUA_TNIL: break
            case LUA_TSTRING:
                net.trainableGroups = try o.choice("trainable", ["all", "head"], default: "all") == "head" ? 1 : nil
            default:
                let k = try o.integer("trainable", default: 0)
                guard (0...net.groups.count).contains(k) else {
                    throw o.invalid(
                        "trainable",
                        "'all', 'head' or a count of layer groups 0 ... \(net.groups.count) expected, got \(k)")
                }
                net.trainableGroups = k
            }
            if try o.boolean("clips") ?? false {
                return try lua.result(ModuleObject(try ClipPatches(net, patch: MusicnnFrontEnd.patchFrames)))
            }
            return try lua.result(ModuleObject(net))
        },
        // mm.nn.musicnn_tags([weights = "MSD" | "MTT"]) -> the 50 tag names of the pretrained
        // networks' outputs, in output order (index i is logit i of mm.nn.musicnn{classes = 50}).
        Binding("musicnn_tags") { lua in
            let source = lua.isNoneOrNil(1) ? "MSD" : try lua.choice(1, ["MSD", "MTT"])
            return try lua.result(source == "MSD" ? MusicnnWeights.msdTags : MusicnnWeights.mttTags)
        },
        // mm.nn.tf_checkpoint(prefix [, {optimizer = false}]) -> {name = tensor}: a TensorFlow
        // (V2) checkpoint's variables under their TensorFlow names and layouts; integer
        // variables as integers (a scalar) or flat tables. optimizer = true keeps Adam's slots.
        Binding("tf_checkpoint") { lua in
            let prefix = try lua.string(1)
            let all = try lua.options(2, only: ["optimizer"]).boolean("optimizer") ?? false
            let tensors = try TensorFlowCheckpoint.read(prefix) { all || MusicnnWeights.isNetworkVariable($0) }
            let variables = tensors.sorted { $0.key < $1.key }.map { name, value -> (String, any LuaValue) in
                switch value {
                case .f32(let t): (name, TensorObject(t))
                case .i64(let shape, let values) where shape.isEmpty: (name, Int(values[0]))
                case .i64(_, let values): (name, values.map { Int($0) })
                }
            }
            return try lua.result(LuaRecord(variables))
        },
        // mm.nn.Conv2d(in, out, k or {kh, kw} [, {stride = 1, pad = 0 or {rows, columns} or
        // {top, bottom, left, right}, bias = true}])
        Binding("Conv2d") { lua in
            let options = try lua.options(4, only: ["stride", "pad", "bias"])
            // k: a side, or {height, width}; pad: on every side, {rows, columns} or
            // {top, bottom, left, right}
            var kernel = (0, 0)
            if lua.type(3) == LUA_TTABLE {
                let sides = try lua.sequence(3, of: "integer", Lua.integerEntry)
                guard sides.count == 2 else {
                    throw LuaError.argument(3, "a kernel side or {height, width} expected, got \(sides.count) entries")
                }
                kernel = (sides[0], sides[1])
            } else {
                let k = try lua.integer(3)
                kernel = (k, k)
            }
            var pad = (0, 0, 0, 0)
            if options.type(of: "pad") == LUA_TTABLE {
                let p = try options.integers("pad") ?? []
                switch p.count {
                case 2: pad = (p[0], p[0], p[1], p[1])
                case 4: pad = (p[0], p[1], p[2], p[3])
                default:
                    throw options.invalid(
                        "pad",
                        "a number, {rows, columns} or {top, bottom, left, right} expected, got \(p.count) entries")
                }
            } else {
                let p = try options.integer("pad", default: 0)
                pad = (p, p, p, p)
            }
            return try push(
                lua,
                Conv2d(
                    try lua.integer(1), try lua.integer(2), kernel: kernel,
                    stride: try options.integer("stride", default: 1),
                    pad: pad, bias: try options.boolean("bias") ?? true))
        },
        // mm.nn.BatchNorm2d(channels [, {eps = 1e-5, momentum = 0.1}])
        Binding("BatchNorm2d") { lua in
            let options = try lua.options(2, only: ["eps", "momentum"])
            return try push(
                lua,
                BatchNorm2d(
                    try lua.integer(1), eps: try options.number("eps", default: 1e-5),
                    momentum: try options.number("momentum", default: 0.1)))
        },
        Binding("ReLU") { try push($0, ReLU()) },
        // mm.nn.MaxPool2d(k [, {stride = k, pad = 0}])
        Binding("MaxPool2d") { lua in
            let k = try lua.integer(1)
            let options = try lua.options(2, only: ["stride", "pad"])
            return try push(
                lua,
                MaxPool2d(
                    kernelSize: k, stride: try options.integer("stride", default: k),
                    padding: try options.integer("pad", default: 0)))
        },
        // mm.nn.GlobalAvgPool(): (N, C, H, W) -> (N, C)
        Binding("GlobalAvgPool") { try push($0, GlobalAvgPool()) },
        // mm.nn.Linear(in, out [, {bias = true}])
        Binding("Linear") { lua in
            let options = try lua.options(3, only: ["bias"])
            return try push(
                lua, Linear(try lua.integer(1), try lua.integer(2), bias: try options.boolean("bias") ?? true))
        },
        // mm.nn.Dropout([p = 0.5])
        Binding("Dropout") { lua in try push(lua, Dropout(try lua.number(1, default: 0.5))) },
        // mm.nn.SEBlock(channels [, {reduction = 16}]): squeeze-and-excitation.
        Binding("SEBlock") { lua in
            let options = try lua.options(2, only: ["reduction"])
            return try push(
                lua,
                SqueezeExcitation(
                    channels: try lua.integer(1), reduction: try options.integer("reduction", default: 16)))
        },
        // mm.nn.BasicBlock(in, out [, {stride = 1, reduction = 16}]): the residual SE block.
        Binding("BasicBlock") { lua in
            let options = try lua.options(3, only: ["stride", "reduction"])
            return try push(
                lua,
                BasicBlock(
                    try lua.integer(1), try lua.integer(2), stride: try options.integer("stride", default: 1),
                    reduction: try options.integer("reduction", default: 16)))
        },
        // mm.nn.Sequential{layer, layer, ...}: applied in order; their parameters are named
        // "0.weight", "1.weight", ... in saved files, as PyTorch names them.
        Binding("Sequential") { lua in
            guard lua.type(1) == LUA_TTABLE else { throw LuaError.type(1, expected: "table of modules") }
            let layers = try lua.sequence(1, of: "module") { ModuleObject.peek($0.L, -1)?.module }
            return try push(lua, Sequential(layers))
        },
        // mm.nn.cross_entropy(logits, target [, {label_smoothing = 0}]) -> loss, d(loss)/d(logits).
        // target: a table of 1-based labels, a tensor of N labels, or an (N, C) tensor of
        // class probabilities (soft targets, as mixup makes).
        Binding("cross_entropy") { lua in
            let logits = try lua.object(1, as: TensorObject.self).tensor
            guard logits.rank == 2, logits.count > 0 else {
                throw LuaError.argument(1, "logits of shape (N, C) expected, got \(logits.shape)")
            }
            let smoothing = try lua.options(3, only: ["label_smoothing"]).number("label_smoothing", default: 0)
            let result: (loss: Double, dlogits: Tensor)
            if let soft = TensorObject.peek(lua.L, 2)?.tensor, soft.rank == 2 {
                result = try crossEntropy(logits, targets: soft, labelSmoothing: smoothing)
            } else {
                let labels = try classLabels(lua, 2, rows: logits.shape[0], classes: logits.shape[1])
                result = try crossEntropy(logits, labels: labels, labelSmoothing: smoothing)
            }
            return try lua.result(result.loss, TensorObject(result.dlogits))
        },
    ]

    private static func push(_ lua: Lua, _ module: @autoclosure () throws -> any Module) throws -> Int32 {
        return try lua.result(ModuleObject(try module()))
    }

    /// 1-based class labels at `index` (a table of integers or a 1-D tensor), one per row of
    /// logits, returned 0-based.
    static func classLabels(_ lua: Lua, _ index: Int32, rows: Int, classes: Int) throws -> [Int] {
        let labels = try lua.classLabels(index, classes: classes)
        guard labels.count == rows else {
            throw LuaError.argument(index, "\(rows) labels expected (one per row of logits), got \(labels.count)")
        }
        return labels
    }
}
