/// PyTorch's default initialisation of Conv2d and Linear: `kaiming_uniform_(w, a=sqrt(5))`,
/// whose bound gain * sqrt(3 / fan_in) with gain = sqrt(2 / (1 + a^2)) reduces to
/// 1 / sqrt(fan_in); the bias is uniform in the same bound. Drawn from the engine generator
/// in construction order, so a seed fixes every weight.
func initUniform(_ t: Tensor, fanIn: Int) {
    let bound = 1 / Double(fanIn).squareRoot()
    Engine.withRandom { rng in
        for i in 0..<t.count { t[i] = Float(rng.uniform(-bound, bound)) }
    }
}
