// sentiment_bench: single-thread throughput of SentimentScorer::Score.
//
//   sentiment_bench [FILE] [SECONDS] [--explain]
//
// Scores FILE's lines (one text a line; default: the texts of
// ../shared/data/sentiment/vader_amazon_reviews_groundtruth.txt) over and over
// for SECONDS (default 3) on one thread and prints
//   parley-sentiment <n> sentences <s> s <r> sentences/s (<b> bytes/sentence)
// in the format vader_reference.mjs prints, so run.sh can compare the two.
// --explain also builds the per-token explanation, as the analyzer does.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "analysis/sentiment/sentiment_scorer.h"

#ifndef PARLEY_SOURCE_DIR
#define PARLEY_SOURCE_DIR "."
#endif

int main(int argc, char** argv) {
  std::string file;
  double seconds = 3;
  bool explain = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--explain") {
      explain = true;
    } else if (file.empty()) {
      file = a;
    } else {
      seconds = std::atof(a.c_str());
    }
  }
  bool amazon = file.empty();
  if (amazon) file = std::string(PARLEY_SOURCE_DIR) + "/../shared/data/sentiment/vader_amazon_reviews_groundtruth.txt";
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::cerr << "sentiment_bench: cannot read " << file << "\n";
    return 2;
  }
  std::vector<std::string> lines;
  size_t bytes = 0;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (amazon) {
      size_t t = line.find('\t');
      t = t == std::string::npos ? t : line.find('\t', t + 1);
      if (t == std::string::npos) continue;
      line = line.substr(t + 1);
    }
    bytes += line.size();
    lines.push_back(std::move(line));
  }
  if (lines.empty()) {
    std::cerr << "sentiment_bench: " << file << " has no lines\n";
    return 2;
  }

  parley::analysis::SentimentScorer scorer;
  std::vector<parley::core::SentimentContribution> contributions;
  auto* sink_vec = explain ? &contributions : nullptr;
  double sink = 0;
  for (const std::string& l : lines) sink += scorer.Score(l, sink_vec).score();  // warm up

  using Clock = std::chrono::steady_clock;
  size_t n = 0;
  auto start = Clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    for (const std::string& l : lines) sink += scorer.Score(l, sink_vec).score();
    n += lines.size();
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  }
  std::printf("parley-sentiment%s %zu sentences %.3f s %.0f sentences/s (%.0f bytes/sentence)\n",
              explain ? "+explain" : "", n, elapsed, n / elapsed, static_cast<double>(bytes) / lines.size());
  if (sink == 12345.678) std::printf(" ");
  return 0;
}
