#pragma once
// runc's --console-socket protocol, which conmon, containerd's shim and go-runc speak: connect
// to the AF_UNIX SOCK_STREAM socket and make one sendmsg whose data is the pty name (e.g.
// "/dev/pts/0") and whose SCM_RIGHTS carries the pty master. (The runtime-tools JSON protocol
// is not what any engine uses.)
#include <string>

#include "sys/unique_fd.hpp"

namespace hako::process {

// Sends the master to the socket at socket_path. Paths longer than sun_path allows are
// reached through /proc/self/fd/<dir fd>/<name>. Throws naming the socket on any failure.
void send_console(const std::string& socket_path, const std::string& pty_name, int master_fd);

struct ReceivedConsole {
    std::string name;
    sys::UniqueFd master;
};

// runc's checkTerminal: a process hako detaches from needs a console socket to give its pty
// to, and a console socket is only for a detached process with a pty. Throws runc's wording.
void check_console_options(bool terminal, bool detach, const std::string& console_socket);

// The receiving side on a connected socket (what an engine does); for tests and tools.
ReceivedConsole receive_console(int connection_fd);

}  // namespace hako::process
