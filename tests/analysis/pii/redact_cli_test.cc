// Runs the built `parley redact` (path in $PARLEY_BIN) on stdin and checks
// its output and exit codes.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

CliResult RunRedact(const std::string& input, const std::string& args) {
  const char* bin = std::getenv("PARLEY_BIN");
  EXPECT_NE(bin, nullptr) << "PARLEY_BIN must name the parley binary";
  if (bin == nullptr) return {};
  std::string dir = ::testing::TempDir();
  std::string in = dir + "/redact_in.txt", out = dir + "/redact_out.txt",
              err = dir + "/redact_err.txt";
  std::ofstream(in, std::ios::binary) << input;
  std::string cmd = std::string("'") + bin + "' redact " + args + " < '" + in + "' > '" + out +
                    "' 2> '" + err + "'";
  int status = std::system(cmd.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = Slurp(out);
  r.err = Slurp(err);
  return r;
}

TEST(RedactCli, RedactsEveryLineInOrder) {
  CliResult r = RunRedact(
      "hello, mail me at jane@example.com\n"
      "nothing here\n"
      "\n"
      "card 4111 1111 1111 1111 and SSN 460-89-9847\n"
      "à bientôt, appelez +33 1 42 68 53 00",
      "");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "hello, mail me at [EMAIL_ADDRESS]\n"
            "nothing here\n"
            "\n"
            "card [CREDIT_CARD_NUMBER] and SSN [US_SOCIAL_SECURITY_NUMBER]\n"
            "à bientôt, appelez [PHONE_NUMBER]");  // no newline added at the end
}

TEST(RedactCli, TypesOption) {
  CliResult r = RunRedact("jane@example.com 10.0.0.1\r\nhost 10.0.0.2\n",
                    "--types IP_ADDRESS,US_SOCIAL_SECURITY_NUMBER");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "jane@example.com [IP_ADDRESS]\r\nhost [IP_ADDRESS]\n");
}

TEST(RedactCli, UnknownTypeIsAnError) {
  CliResult r = RunRedact("jane@example.com\n", "--types EMAIL_ADDRESS,SHOE_SIZE");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("SHOE_SIZE"), std::string::npos) << r.err;
}

TEST(RedactCli, ManyLines) {
  std::string input, want;
  for (int i = 0; i < 20000; ++i) {
    input += "line " + std::to_string(i) + " user" + std::to_string(i) + "@example.com\n";
    want += "line " + std::to_string(i) + " [EMAIL_ADDRESS]\n";
  }
  CliResult r = RunRedact(input, "");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, want);
}

}  // namespace
