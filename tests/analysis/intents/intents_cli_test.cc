// Runs the built `parley` binary: `parley intents train` then `predict`.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "analysis/intents/synthetic_examples.h"

namespace {

using ::testing::HasSubstr;

std::string Temp(const std::string& name) { return ::testing::TempDir() + "/intents_cli_" + name; }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `parley ARGS < stdin_path`, capturing stdout and stderr; returns the
// exit code.
int RunParley(const std::string& args, const std::string& stdin_path, std::string* out,
              std::string* err) {
  std::string out_path = Temp("stdout"), err_path = Temp("stderr");
  std::string command = std::string(PARLEY_BIN) + " " + args + " <" +
                        (stdin_path.empty() ? "/dev/null" : stdin_path) + " >" + out_path + " 2>" +
                        err_path;
  int status = std::system(command.c_str());
  *out = ReadFile(out_path);
  *err = ReadFile(err_path);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream s(text);
  for (std::string line; std::getline(s, line);) lines.push_back(line);
  return lines;
}

std::string Quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

TEST(IntentsCliTest, TrainThenPredict) {
  std::string csv = Temp("train.csv"), model = Temp("model"), input = Temp("input.txt");
  {
    std::ofstream out(csv);
    out << "text,label\n";
    // Quote every text: some contain commas or quotes.
    for (const auto& e : parley::analysis::intents::testing::SyntheticExamples())
      out << Quote(e.text) << "," << e.label << "\n";
  }
  std::string out, err;
  ASSERT_EQ(RunParley("intents train --examples " + csv + " --model " + model + " --epochs 50", "",
                      &out, &err),
            0)
      << err;
  EXPECT_THAT(err, HasSubstr("trained on 36 examples of 3 intents"));

  {
    std::ofstream in(input);
    in << "My credit card got stolen!\n"
       << "how much money is in my checking account\r\n"
       << "\n"
       << "what time does the branch open on sunday\n";
  }
  ASSERT_EQ(RunParley("intents predict --model " + model, input, &out, &err), 0) << err;
  std::vector<std::string> lines = Lines(out);
  ASSERT_EQ(lines.size(), 4u) << out;
  const std::regex format("([a-z_]*)\t([01]\\.[0-9]{4})");
  const std::vector<std::string> expected = {"block_card", "check_balance", "", "opening_hours"};
  for (size_t i = 0; i < lines.size(); ++i) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(lines[i], m, format)) << "line " << i << ": " << lines[i];
    EXPECT_EQ(m[1].str(), expected[i]) << lines[i];
    double confidence = std::stod(m[2].str());
    EXPECT_GE(confidence, 0.0);
    EXPECT_LE(confidence, 1.0);
  }
  EXPECT_EQ(lines[2], "\t0.0000");  // a blank line has no intent

  // With a threshold, an out-of-scope line gets an empty label (and its
  // confidence) while the in-scope ones keep theirs.
  {
    std::ofstream in(input);
    in << "My credit card got stolen!\n"
       << "recommend a good pizza recipe\n"
       << "are you open today\n";
  }
  ASSERT_EQ(RunParley("intents predict --threshold 0.9 --model " + model, input, &out, &err), 0) << err;
  lines = Lines(out);
  ASSERT_EQ(lines.size(), 3u) << out;
  EXPECT_THAT(lines[0], ::testing::StartsWith("block_card\t"));
  EXPECT_THAT(lines[1], ::testing::MatchesRegex("\t0\\.[0-8][0-9]{3}"));
  EXPECT_THAT(lines[2], ::testing::StartsWith("opening_hours\t"));

  std::remove(csv.c_str());
  std::remove(model.c_str());
  std::remove(input.c_str());
}

TEST(IntentsCliTest, BadInputFailsWithAClearMessage) {
  std::string csv = Temp("bad.csv"), model = Temp("bad.model");
  std::ofstream(csv) << "text,label\nhello,greeting\nhi, there,greeting\n";
  std::string out, err;
  EXPECT_EQ(RunParley("intents train --examples " + csv + " --model " + model, "", &out, &err), 2);
  EXPECT_THAT(err, HasSubstr("line 3: expected 2 fields, found 3"));

  EXPECT_EQ(RunParley("intents predict --model " + Temp("missing.model"), "", &out, &err), 2);
  EXPECT_THAT(err, HasSubstr("cannot open intent model"));

  EXPECT_EQ(RunParley("intents predict --model " + csv, "", &out, &err), 2);
  EXPECT_THAT(err, HasSubstr("not a Parley intent model"));

  EXPECT_NE(RunParley("intents predict --model " + csv + " --threshold 2", "", &out, &err), 0);
  std::remove(csv.c_str());
}

}  // namespace
