// `parley sentiment`: reads text lines on stdin and writes, for each, its
// sentiment as "score<TAB>magnitude" (score in [-1, 1], magnitude >= 0; see
// analysis/sentiment/sentiment_scorer.h). With --explain a third column lists
// the tokens that drove the score and their final valences,
// "token valence | token valence ...". Output lines are in input order.
//
//   parley sentiment [--explain]
//
// Exit codes: 0 done, 1 read/write error.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "analysis/sentiment/sentiment_scorer.h"
#include "cli/command.h"

namespace parley::cli {
namespace {

int RunSentiment(bool explain) {
  const analysis::SentimentScorer scorer;
  static char out_buffer[1 << 16];
  std::setvbuf(stdout, out_buffer, _IOFBF, sizeof(out_buffer));

  char* line = nullptr;
  size_t capacity = 0;
  ssize_t len;
  std::vector<core::SentimentContribution> contributions;
  bool write_error = false;
  while (!write_error && (len = getline(&line, &capacity, stdin)) > 0) {
    std::string_view text(line, static_cast<size_t>(len));
    if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    core::Sentiment s = scorer.Score(text, explain ? &contributions : nullptr);
    write_error = std::printf("%.4f\t%.4f", s.score(), s.magnitude()) < 0;
    if (explain) {
      write_error |= std::fputc('\t', stdout) == EOF;
      for (size_t i = 0; i < contributions.size(); ++i) {
        write_error |= std::printf("%s%s %+.3f", i ? " | " : "", contributions[i].token().c_str(),
                                   contributions[i].valence()) < 0;
      }
    }
    write_error |= std::fputc('\n', stdout) == EOF;
  }
  std::free(line);
  bool read_error = std::ferror(stdin) != 0;
  write_error |= std::fflush(stdout) != 0 || std::ferror(stdout) != 0;
  if (read_error || write_error) {
    std::cerr << "parley sentiment: " << (read_error ? "read" : "write") << " error\n";
    return 1;
  }
  return 0;
}

void AddSentiment(CLI::App& app) {
  static bool explain = false;  // outlives the app's parse
  CLI::App* sub = app.add_subcommand(
      "sentiment", "Score the sentiment of each stdin line: score<TAB>magnitude");
  sub->add_flag("--explain", explain, "Also list the tokens that drove each score and their valences");
  sub->callback([] {
    int code = RunSentiment(explain);
    if (code != 0) throw CLI::RuntimeError(code);
  });
}

const bool kRegistered = RegisterCommand(&AddSentiment);

}  // namespace
}  // namespace parley::cli
