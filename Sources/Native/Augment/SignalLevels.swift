/// Signal levels shared by the mashup builder and the augmentations.

/// max |x|.
func peak(_ x: [Float]) -> Float {
    x.withUnsafeBufferPointer { p in
        var lanes = SIMD8<Float>()
        var i = 0
        while i + 8 <= p.count {
            let v = UnsafeRawPointer(p.baseAddress! + i).loadUnaligned(as: SIMD8<Float>.self)
            let magnitude = v.replacing(with: -v, where: v .< 0)
            lanes = lanes.replacing(with: magnitude, where: magnitude .> lanes)
            i += 8
        }
        var m = lanes.max()
        while i < p.count {
            m = max(m, abs(p[i]))
            i += 1
        }
        return m
    }
}

/// (1/n) sum x^2, the signal's power.
func meanSquare(_ x: [Float]) -> Double {
    guard !x.isEmpty else { return 0 }
    return x.withUnsafeBufferPointer { p in
        var lanes = SIMD8<Float>()
        var i = 0
        var tail = 0.0
        // Lanes summed in blocks of 4096 into a double, so 661,500 squares lose no precision.
        while i + 8 <= p.count {
            let v = UnsafeRawPointer(p.baseAddress! + i).loadUnaligned(as: SIMD8<Float>.self)
            lanes += v * v
            i += 8
            if i % 4096 == 0 {
                tail += Double(lanes.sum())
                lanes = SIMD8()
            }
        }
        tail += Double(lanes.sum())
        while i < p.count {
            tail += Double(p[i] * p[i])
            i += 1
        }
        return tail / Double(p.count)
    }
}

func scale(_ x: inout [Float], _ g: Float) {
    for i in x.indices { x[i] *= g }
}
