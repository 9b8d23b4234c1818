// Articles (Dialogflow knowledge documents of type text/plain and
// text/html): their text, cut into passages that a search can point at.
//
// HTML: the text of the body with every tag removed; <script>, <style>,
// <template>, <noscript>, <head> (except <title>) and comments are dropped
// with their contents; block elements (p, div, li, h1-h6, tr, br, section,
// ...) end a paragraph; character references are decoded (numeric ones, and
// the named ones common in articles: &amp; &lt; &gt; &quot; &apos; &nbsp;
// dashes, quotes, ellipsis, ©, ®, ™, €, £); an unknown name is kept as
// written. The title is <title>, else the first <h1>.
//
// Plain text: paragraphs are separated by empty lines. The first paragraph is
// the title when it is one line of at most 120 bytes that does not end with
// '.', '!', '?', ':' or ','.
//
// Passages: paragraphs are joined (with a blank line) while the passage stays
// within max_passage_bytes; a longer paragraph is cut at a sentence end, else
// at white space, so every passage is at most max_passage_bytes (and a
// passage never merges text across a heading: a heading starts a passage).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace parley::analysis::knowledge {

struct Article {
  std::string title;  // empty when the document has none
  std::vector<std::string> passages;
};

struct ArticleLimits {
  size_t max_passage_bytes = 800;
  size_t max_passages = 20000;
};

// The article in `content` of `mime_type` "text/html" or "text/plain".
// INVALID_ARGUMENT when the content is not UTF-8, holds no text, or more than
// max_passages passages; or the MIME type is another.
absl::StatusOr<Article> ParseArticle(std::string_view content, std::string_view mime_type,
                                     const ArticleLimits& limits = {});

// The paragraphs of an HTML text and its title (exposed for tests). Each
// paragraph has its white space collapsed to single spaces. `*heading[i]` is
// true when paragraph i came from h1-h6.
struct HtmlText {
  std::string title;
  std::vector<std::string> paragraphs;
  std::vector<bool> heading;
};
HtmlText HtmlToText(std::string_view html);

// Decodes the character references in `text` (see above).
std::string DecodeEntities(std::string_view text);

}  // namespace parley::analysis::knowledge
