/// The report page's only styling, inline: system fonts, a readable column at laptop width, charts
/// that shrink to fit, and print rules that keep each chart and table on one page.
enum ReportStyle {
    static let css = """
    body { margin: 0; color: #1b1b1b; background: #fff; line-height: 1.5;
      font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
    main { max-width: 1180px; margin: 0 auto; padding: 2rem 1.5rem 4rem; }
    h1 { font-size: 1.9rem; margin: 0 0 0.25rem; }
    h2 { font-size: 1.35rem; margin: 2.5rem 0 0.75rem; padding-bottom: 0.25rem; border-bottom: 1px solid #d0d0d0; }
    h3 { font-size: 1.05rem; margin: 1.5rem 0 0.5rem; }
    p.lead { font-size: 1.05rem; color: #333; margin-top: 0; }
    .recommendation { border-left: 4px solid #0072b2; background: #f2f7fb; padding: 0.5rem 1rem 0.25rem; margin: 1.25rem 0; }
    .recommendation h2 { border: none; margin-top: 0.5rem; }
    .wrap { overflow-x: auto; }
    table { border-collapse: collapse; margin: 0.5rem 0 0.5rem; font-size: 0.88rem; }
    th, td { padding: 0.25rem 0.6rem; border-bottom: 1px solid #e4e4e4; text-align: left; vertical-align: top; }
    thead th { border-bottom: 2px solid #888; font-weight: 600; }
    tbody th { font-weight: 600; }
    td.n, th.n { text-align: right; white-space: nowrap; }
    .num { font-variant-numeric: tabular-nums; }
    .up { color: #1a6e2e; }
    .down { color: #a31f1f; }
    .missing { color: #999; }
    .group { white-space: nowrap; }
    p.caption, figcaption { font-size: 0.85rem; color: #555; margin: 0.35rem 0 1rem; max-width: 60rem; }
    figure { margin: 0; break-inside: avoid; page-break-inside: avoid; }
    figure svg { display: block; max-width: 100%; height: auto; }
    .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(440px, 1fr)); gap: 1.5rem 2rem; align-items: start; }
    code, pre { font-family: ui-monospace, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace; font-size: 0.85em; }
    pre { background: #f6f6f6; padding: 0.75rem 1rem; overflow-x: auto; white-space: pre-wrap; }
    details summary { cursor: pointer; color: #444; font-size: 0.85rem; }
    @media print {
      body { font-size: 10pt; }
      main { max-width: none; padding: 0; }
      .recommendation, pre { background: none; }
      h2, h3 { break-after: avoid; page-break-after: avoid; }
      figure, table, .recommendation { break-inside: avoid; page-break-inside: avoid; }
      .grid { grid-template-columns: repeat(2, 1fr); }
      .wrap { overflow: visible; }
    }
    """
}
