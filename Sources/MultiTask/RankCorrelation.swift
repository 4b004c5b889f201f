/// Spearman's rank correlation ρ: Pearson's r of the ranks, ties given their mean rank. Shared by
/// the estimators' evaluation (against pairwise training's gains) and mask similarity (of SNIP
/// scores).
enum RankCorrelation {
    /// ρ of `x` and `y`; NaN when either side is constant (nothing to correlate) or holds a value
    /// that is not a finite number.
    static func spearman(_ x: [Double], _ y: [Double]) -> Double {
        // Over two points ranks can only agree or disagree: ±1 measures nothing, so it is undefined.
        guard x.count == y.count, x.count >= 3, x.allSatisfy(\.isFinite), y.allSatisfy(\.isFinite) else { return .nan }
        let (a, b) = (ranks(x), ranks(y))
        let (ma, mb) = (a.reduce(0, +) / Double(a.count), b.reduce(0, +) / Double(b.count))
        var covariance = 0.0, va = 0.0, vb = 0.0
        for (p, q) in zip(a, b) {
            covariance += (p - ma) * (q - mb)
            va += (p - ma) * (p - ma)
            vb += (q - mb) * (q - mb)
        }
        return va > 0 && vb > 0 ? covariance / (va * vb).squareRoot() : .nan
    }

    /// 1-based ranks, ties given the mean of the ranks they span.
    static func ranks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && values[order[j + 1]] == values[order[i]] { j += 1 }
            for k in i...j { ranks[order[k]] = Double(i + j) / 2 + 1 }
            i = j + 1
        }
        return ranks
    }
}
