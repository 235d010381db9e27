/// `print(net)`: the module tree as PyTorch's repr shows it, a container's children indented
/// under their attribute names.
///
///     SEResNet(
///       (conv1): Conv2d(1, 64, kernel_size=(7, 7), stride=(2, 2), padding=(3, 3), bias=False)
///       (bn1): BatchNorm2d(64, eps=1e-05, momentum=0.1)
///       ...
///     )
public enum ModuleTree {
    public static func text(_ module: any Module, indent: String = "") -> String {
        let children = module.children
        guard !children.isEmpty else { return leaf(module) }
        let inner = indent + "  "
        let lines = children.map { "\(inner)(\($0.name)): \(text($0.module, indent: inner))" }
        return "\(typeName(module))(\n" + lines.joined(separator: "\n") + "\n\(indent))"
    }

    private static func typeName(_ module: any Module) -> String {
        switch module {
        case is SqueezeExcitation: return "SEBlock"
        default: return String(describing: type(of: module))
        }
    }

    /// One line for a layer without children, with the arguments that built it.
    private static func leaf(_ module: any Module) -> String {
        switch module {
        case let c as Conv2d:
            let padding =
                c.pad.top == c.pad.bottom && c.pad.left == c.pad.right
                ? "padding=(\(c.pad.top), \(c.pad.left))"
                : "padding=(\(c.pad.top), \(c.pad.bottom), \(c.pad.left), \(c.pad.right))"
            return "Conv2d(\(c.inChannels), \(c.outChannels), kernel_size=(\(c.kernel.height), \(c.kernel.width)), "
                + "stride=(\(c.stride), \(c.stride)), \(padding)"
                + (c.bias == nil ? ", bias=False)" : ")")
        case let b as BatchNorm2d:
            return "BatchNorm2d(\(b.channels), eps=\(b.eps), momentum=\(b.momentum))"
        case let l as Linear:
            return
                "Linear(in_features=\(l.inFeatures), out_features=\(l.outFeatures), bias=\(l.bias == nil ? "False" : "True"))"
        case let p as MaxPool2d:
            if p.isSquare { return "MaxPool2d(kernel_size=\(p.kernelSize), stride=\(p.stride), padding=\(p.padding))" }
            return
                "MaxPool2d(kernel_size=(\(p.window.height), \(p.window.width)), stride=(\(p.strides.height), \(p.strides.width)), padding=(\(p.pad.height), \(p.pad.width)))"
        case let d as Dropout:
            return "Dropout(p=\(d.p))"
        default:
            return typeName(module) + "()"
        }
    }
}
