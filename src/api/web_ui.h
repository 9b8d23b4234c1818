// The web UI for analysts (ui/ at the repository root: HTML, CSS and
// JavaScript that call the public Insights v1 API), compiled into the binary
// by cmake/EmbedFiles.cmake; `parley serve` serves it at /ui/.
#pragma once

#include <span>

#include "api/http/static_files.h"

namespace parley::api {

std::span<const http::EmbeddedFile> WebUiFiles();

}  // namespace parley::api
