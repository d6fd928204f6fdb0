#pragma once
// CLI11, without the start-up cost of <iostream>.
//
// CLI11 includes <iostream>. With libstdc++ 12 every translation unit that does so runs a
// static std::ios_base::Init when the program starts, which builds the eight standard stream
// objects and the classic C++ locale: measured on static test binaries, that is 0.07 ms of a
// 0.6 ms start, which every hako command would pay. hako prints through stdio and fmt; CLI11
// writes to std::cout only in App::exit(), which main() calls for --help alone, after making
// the streams itself (std::ios_base::Init is reference-counted and may be made at any time).
#include <istream>
#include <ostream>

#if defined(__GLIBCXX__) && !defined(_GLIBCXX_IOSTREAM)
// <iostream>'s declarations without its static initialiser: its include guard is taken here.
#define _GLIBCXX_IOSTREAM 1
namespace std {
extern istream cin;
extern ostream cout;
extern ostream cerr;
extern ostream clog;
extern wistream wcin;
extern wostream wcout;
extern wostream wcerr;
extern wostream wclog;
}  // namespace std
#endif

#include <CLI/CLI.hpp>
