#include "core/markup.hpp"

#include <gtest/gtest.h>

namespace be {
namespace {

TEST(EscapeMarkup, shouldEscapeEveryMarkupCharacterForHtmlAndSvg) {
  EXPECT_EQ(escape_markup(R"(<a href="x">R&D</a>)"),
            "&lt;a href=&quot;x&quot;&gt;R&amp;D&lt;/a&gt;");
  EXPECT_EQ(escape_markup("plain text, 1.5 BTC"), "plain text, 1.5 BTC");
  EXPECT_EQ(escape_markup(""), "");
}

TEST(EscapeMarkup, shouldKeepQuotesForChatMarkup) {
  EXPECT_EQ(escape_markup(R"(bot "grid" <3 & more)", MarkupQuotes::kKeep),
            R"(bot "grid" &lt;3 &amp; more)");
}

}  // namespace
}  // namespace be
