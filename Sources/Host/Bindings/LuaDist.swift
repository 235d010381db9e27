import CLua
import Foundation
import Native

/// `mm.dist`: the processes of a data-parallel job (`mpirun -np N mashup run ...`), so a script
/// can write its own distributed policies. Ranks count from 0 (MPI's numbering); rank 0 is the
/// one that writes. Without mpirun every call works as for a job of one process. Every rank
/// must make the same collective calls in the same order, as with MPI itself.
enum LuaDist: LuaModule {
    static let name: String? = "dist"

    static let functions: [Binding] = [
        // mm.dist.rank() -> this process's rank, 0 ... size - 1.
        Binding("rank") { lua in try lua.result(Distributed.rank) },
        // mm.dist.size() -> how many processes the job has (1 without mpirun).
        Binding("size") { lua in try lua.result(Distributed.size) },
        // mm.dist.available() -> whether this build can run data-parallel (built with Open MPI).
        Binding("available") { lua in try lua.result(Distributed.available) },
        // mm.dist.barrier(): waits until every rank has reached it.
        Binding("barrier") { _ in try Distributed.barrier() },
        // mm.dist.allreduce(x [, op = "sum"]) -> x combined over every rank: op "sum", "mean",
        // "max" or "min". A number gives the combined number (an integer stays one, but for a
        // mean); a tensor is combined in place (every rank's tensor must have the same shape)
        // and returned.
        Binding("allreduce") { lua in
            let op = try lua.isNoneOrNil(2) ? "sum" : lua.choice(2, ["sum", "mean", "max", "min"])
            let reduction = op == "mean" ? .sum : Distributed.Reduction(rawValue: op)!
            let scale = op == "mean" ? 1 / Double(Distributed.size) : 1
            if let tensor = TensorObject.peek(lua.L, 1)?.tensor {
                try sameOnEveryRank(Double(tensor.count), "the tensor's size (\(tensor.shape))")
                try Distributed.allreduce(tensor.buffer, reduction)
                if scale != 1 { tensor.scaleInPlace(Float(scale)) }
                return lua.result(argument: 1)
            }
            guard lua.type(1) == LUA_TNUMBER else { throw LuaError.type(1, expected: "number or tensor") }
            var value = [try lua.number(1)]
            try Distributed.allreduce(&value, reduction)
            // An integer stays an integer (exact to 2^53), except for a mean.
            if lua_isinteger(lua.L, 1) != 0, op != "mean", let whole = Int(exactly: value[0]) {
                return try lua.result(whole)
            }
            return try lua.result(value[0] * scale)
        },
        // mm.dist.broadcast(value [, root = 0]) -> rank root's value on every rank: nil, a
        // boolean, number, string or plain table (as JSON), or a tensor, filled in place on the
        // other ranks (same shape everywhere) and returned.
        Binding("broadcast") { lua in
            let root = try lua.integer(2, default: 0)
            guard (0..<Distributed.size).contains(root) else {
                throw LuaError.argument(2, "a rank 0 ... \(Distributed.size - 1) expected, got \(root)")
            }
            if let tensor = TensorObject.peek(lua.L, 1)?.tensor {
                try sameOnEveryRank(Double(tensor.count), "the tensor's size (\(tensor.shape))")
                try Distributed.broadcast(tensor.buffer, root: root)
                return lua.result(argument: 1)
            }
            // Checked on every rank, so a job of one refuses what a job of several would.
            let value = try sendable(lua, 1)
            if Distributed.size == 1 { return lua.result(argument: 1) }  // a job of one: the value itself
            let mine = Distributed.rank == root ? Array(value.text().utf8) : []
            let text = String(decoding: try Distributed.broadcast(mine, root: root), as: UTF8.self)
            return try lua.result(try JSONValue(parsing: text, origin: "broadcast from rank \(root)"))
        },
        // mm.dist.gather(value) -> {rank 0's value, rank 1's, ...} on every rank: nil, a boolean,
        // number, string or plain table (as JSON, as broadcast sends it), any size per rank.
        Binding("gather") { lua in
            let parts = try Distributed.allgather(Array(try sendable(lua, 1).text().utf8))
            let values = try parts.enumerated().map { rank, bytes in
                try JSONValue(parsing: String(decoding: bytes, as: UTF8.self), origin: "gather from rank \(rank)")
            }
            return try lua.result(values)
        },
        // mm.dist.sync_batchnorm(net [, on = true]) -> how many BatchNorm layers it set: in
        // training they normalise with the statistics of the whole global batch, every rank's
        // share (PyTorch's SyncBatchNorm), instead of each rank's own share, the default. Costs
        // three small all-reduces per layer and step; on = false turns it off again.
        Binding("sync_batchnorm") { lua in
            let net = try lua.object(1, as: ModuleObject.self).module
            return try lua.result(Distributed.synchronizeBatchNorm(net, lua.isNoneOrNil(2) ? true : lua.boolean(2)))
        },
        // mm.dist.average_gradients(optimizer, n): after backward, before the step: every rank's
        // gradients become those of the mean loss over the whole global batch (n = this rank's
        // examples in it), as PyTorch's DistributedDataParallel makes them. Nothing in a job of
        // one process.
        Binding("average_gradients") { lua in
            let optimizer = try lua.object(1, as: OptimizerObject.self).optimizer
            let examples = try lua.integer(2)
            guard examples >= 0 else {
                throw LuaError.argument(2, "a count of examples >= 0 expected, got \(examples)")
            }
            try Distributed.averageGradients(optimizer.flat, examples: examples)
            return 0
        },
        // mm.dist.overlap(net, optimizer [, {bucket_mb = 4}]) -> true when set up: from now on
        // net:backward starts all-reducing the optimiser's gradients in buckets of about
        // bucket_mb MiB as the layers finish them, while the layers below still work (DDP's
        // overlap); average_gradients then waits for the buckets. Each backward must be
        // followed by average_gradients (no accumulation over several). False in a job of one.
        Binding("overlap") { lua in
            let net = try lua.object(1, as: ModuleObject.self).module
            let optimizer = try lua.object(2, as: OptimizerObject.self).optimizer
            let megabytes = try lua.options(3, only: ["bucket_mb"]).number("bucket_mb", default: 4)
            guard megabytes > 0, megabytes <= 4096 else {
                throw LuaError.argument(3, "bucket_mb in (0, 4096] expected, got \(megabytes)")
            }
            let buckets = try Distributed.overlap(net, optimizer.flat, bucketBytes: Int(megabytes * 1_048_576))
            return try lua.result(buckets != nil)
        },
    ]

    /// The value at `index` as JSON to send to the other ranks: NaN and infinite numbers are
    /// refused by place, since JSON would send them as null and the ranks would disagree.
    private static func sendable(_ lua: Lua, _ index: Int32) throws -> JSONValue {
        let value = try lua.json(index)
        if let bad = value.firstNonFinite() {
            throw LuaError.argument(index, "\(bad) cannot be sent to the other ranks (JSON has no NaN or infinity)")
        }
        return value
    }

    /// Throws unless every rank passed the same `value` (a collective's size).
    private static func sameOnEveryRank(_ value: Double, _ what: String) throws {
        guard Distributed.size > 1 else { return }
        var (low, high) = ([value], [value])
        try Distributed.allreduce(&low, .min)
        try Distributed.allreduce(&high, .max)
        guard low == high else {
            throw LuaError.argument(1, "\(what) differs between ranks (from \(low[0]) to \(high[0]) values)")
        }
    }
}
