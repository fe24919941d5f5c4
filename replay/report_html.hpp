// What the HTML reports share (the backtest report, report_html.cpp, and the sweep report,
// sweep_report.cpp): one page head with its style sheet, number formatting and round axis
// steps, so both pages look and read alike. Self-contained: nothing is loaded from anywhere.
#pragma once

#include <string>
#include <string_view>

namespace be::engine::html {

// "<!doctype html>...<body>": the title and the reports' one style sheet.
std::string page_head(std::string_view title);
// `v` with `decimals` digits after the point.
std::string fixed(double v, int decimals);
// A round step near span / 5: 1, 2 or 5 times a power of ten (chart axes).
double nice_step(double span);

}  // namespace be::engine::html
