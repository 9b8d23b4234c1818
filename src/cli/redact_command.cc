// `parley redact`: reads text lines on stdin and writes each with every piece
// of personal data replaced by "[TYPE]" (for example "[EMAIL_ADDRESS]").
// Streams line by line; output lines are in input order. A last line without
// a newline is written without one.
//
//   parley redact [--types EMAIL_ADDRESS,PHONE_NUMBER]
//
// Exit codes: 0 done, 2 bad arguments (an unknown type), 1 read/write error.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "analysis/pii/pii_detector.h"
#include "cli/command.h"

namespace parley::cli {
namespace {

int RunRedact(const std::vector<std::string>& type_names) {
  auto types = analysis::pii::ParseInfoTypes(type_names);
  if (!types.ok()) {
    std::cerr << "parley redact: " << types.status().message() << "\n";
    return 2;
  }
  const analysis::pii::PiiDetector detector;
  // Block-buffered into a pipe or file; line by line on a terminal.
  static char out_buffer[1 << 16];
  std::setvbuf(stdout, out_buffer, isatty(fileno(stdout)) ? _IOLBF : _IOFBF, sizeof(out_buffer));

  char* line = nullptr;
  size_t capacity = 0;
  ssize_t len;
  std::string redacted;
  while ((len = getline(&line, &capacity, stdin)) > 0) {
    std::string_view text(line, static_cast<size_t>(len));
    bool newline = !text.empty() && text.back() == '\n';
    if (newline) text.remove_suffix(1);
    bool cr = !text.empty() && text.back() == '\r';
    if (cr) text.remove_suffix(1);
    redacted = detector.Redact(text, *types);
    if (cr) redacted.push_back('\r');
    if (newline) redacted.push_back('\n');
    if (std::fwrite(redacted.data(), 1, redacted.size(), stdout) != redacted.size()) break;
  }
  std::free(line);
  bool read_error = std::ferror(stdin) != 0;
  bool write_error = std::fflush(stdout) != 0 || std::ferror(stdout) != 0;
  if (read_error || write_error) {
    std::cerr << "parley redact: " << (read_error ? "read" : "write") << " error\n";
    return 1;
  }
  return 0;
}

void AddRedact(CLI::App& app) {
  static std::vector<std::string> types;  // outlives the app's parse
  CLI::App* sub = app.add_subcommand(
      "redact", "Replace personal data in stdin lines with [TYPE] placeholders");
  sub->add_option("--types", types,
                  "Comma-separated DLP info types to redact (default: all): EMAIL_ADDRESS, "
                  "PHONE_NUMBER, CREDIT_CARD_NUMBER, US_SOCIAL_SECURITY_NUMBER, IBAN_CODE, "
                  "IP_ADDRESS, DATE_OF_BIRTH, STREET_ADDRESS, PERSON_NAME")
      ->delimiter(',');
  sub->callback([] {
    int code = RunRedact(types);
    if (code != 0) throw CLI::RuntimeError(code);
  });
}

const bool kRegistered = RegisterCommand(&AddRedact);

}  // namespace
}  // namespace parley::cli
