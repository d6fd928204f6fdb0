#include <elf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "process/sync_channel.hpp"
#include "security/exec_trampoline.hpp"
#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace {

using hako::security::ExecFailureReport;
using hako::security::ExecTrampoline;

// Runs exec_through_trampoline in a forked child; returns its wait status.
int run_through_trampoline(const ExecTrampoline& trampoline, ExecFailureReport report,
                           int report_fd, const char* path, std::vector<const char*> args,
                           std::vector<const char*> env) {
    args.push_back(nullptr);
    env.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
        const hako::security::ContainerExec exec(trampoline.fd(), report, report_fd,
                                                  "exec: \"probe\": ", path,
                                                  const_cast<char* const*>(args.data()));
        const int err = exec.exec(const_cast<char* const*>(env.data()));
        ::_exit(200 + (err > 50 ? 50 : err));
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return status;
}

std::string read_all(int fd) {
    std::string text;
    char buffer[512];
    ssize_t n = 0;
    while ((n = ::read(fd, buffer, sizeof buffer)) > 0)
        text.append(buffer, static_cast<std::size_t>(n));
    return text;
}

struct Pipe {
    hako::sys::UniqueFd read_end, write_end;
    Pipe() {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
        read_end.reset(fds[0]);
        write_end.reset(fds[1]);
    }
};

}  // namespace

TEST(ExecTrampoline, IsASmallStaticExecutable) {
    const std::string_view program = hako::security::exec_trampoline_program();
    ASSERT_GE(program.size(), sizeof(Elf64_Ehdr));
    EXPECT_LT(program.size(), 8192U);
    Elf64_Ehdr header{};
    std::memcpy(&header, program.data(), sizeof header);
    EXPECT_EQ(std::memcmp(header.e_ident, ELFMAG, SELFMAG), 0);
    EXPECT_EQ(header.e_type, ET_EXEC);
    EXPECT_EQ(header.e_machine, EM_X86_64);
    for (int i = 0; i < header.e_phnum; ++i) {
        Elf64_Phdr segment{};
        std::memcpy(&segment, program.data() + header.e_phoff + i * sizeof segment, sizeof segment);
        EXPECT_NE(segment.p_type, static_cast<std::uint32_t>(PT_INTERP)) << "needs a loader";
    }
}

TEST(ExecTrampoline, MemfdIsSealedAgainstWriting) {
    const auto trampoline = ExecTrampoline::make();
    ASSERT_TRUE(trampoline);
    const int seals = ::fcntl(trampoline->fd(), F_GET_SEALS);
    const int wanted = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
    EXPECT_EQ(seals & wanted, wanted);
    EXPECT_EQ(::pwrite(trampoline->fd(), "x", 1, 0), -1);
    EXPECT_EQ(errno, EPERM);
    EXPECT_NE(::fcntl(trampoline->fd(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST(ExecTrampoline, RunsTheProgramWithItsArgumentsAndEnvironment) {
    const auto trampoline = ExecTrampoline::make();
    ASSERT_TRUE(trampoline);
    Pipe report, output;
    const std::string script =
        "printf '%s|%s|%s' \"$0\" \"$1\" \"$PROBE\" >&" + std::to_string(output.write_end.get());
    // The output pipe must reach sh: only the report fd is the trampoline's business.
    ::fcntl(output.write_end.get(), F_SETFD, 0);
    const int status = run_through_trampoline(
        *trampoline, ExecFailureReport::text, report.write_end.get(), "/bin/sh",
        {"sh", "-c", script.c_str(), "name", "first"}, {"PROBE=value", "PATH=/usr/bin:/bin"});
    output.write_end.reset();
    report.write_end.reset();
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
    EXPECT_EQ(read_all(output.read_end.get()), "name|first|value");
    EXPECT_EQ(read_all(report.read_end.get()), "") << "a success reports nothing";
}

TEST(ExecTrampoline, ReportsAFailingExecveAsText) {
    const auto trampoline = ExecTrampoline::make();
    ASSERT_TRUE(trampoline);
    Pipe report;
    const int status =
        run_through_trampoline(*trampoline, ExecFailureReport::text, report.write_end.get(),
                               "/nonexistent/probe", {"probe"}, {});
    report.write_end.reset();
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 127);
    EXPECT_EQ(read_all(report.read_end.get()), "exec: \"probe\": no such file or directory");
}

TEST(ExecTrampoline, WithoutOneTheProcessIsExecutedDirectly) {
    const char* args[] = {"probe", nullptr};
    const char* env[] = {nullptr};
    const hako::security::ContainerExec exec(-1, ExecFailureReport::text, 2, "exec: ",
                                             "/nonexistent/probe", const_cast<char* const*>(args));
    EXPECT_EQ(exec.exec(const_cast<char* const*>(env)), ENOENT);
}

TEST(ExecTrampoline, ReportsAFailingExecveAsASyncChannelFrame) {
    const auto trampoline = ExecTrampoline::make();
    ASSERT_TRUE(trampoline);
    auto [parent, child] = hako::process::SyncChannel::make_pair();
    const int status = run_through_trampoline(*trampoline, ExecFailureReport::sync_frame,
                                              child.fd(), "/etc", {"probe"}, {});
    child.close();
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 126);
    const auto message = parent.receive();
    EXPECT_EQ(message.type, hako::process::SyncType::kError);
    EXPECT_EQ(message.errno_value, EACCES);
    EXPECT_EQ(message.text, "exec: \"probe\": permission denied");
}

// A spec whose linux.seccomp is profile_json ("" for none).
hako::spec::Spec spec_with_profile(const std::string& profile_json) {
    hako::spec::Spec spec;
    spec.process.emplace();
    spec.process->no_new_privileges = true;
    spec.linux_config.seccomp_json = profile_json;
    return spec;
}

// What trampoline_or_sealed_binary chose for spec: true for the trampoline.
bool chooses_trampoline(const hako::spec::Spec& spec) {
    const hako::security::InitSeccomp seccomp(spec);
    int sealed = 0;
    const auto trampoline =
        hako::security::trampoline_or_sealed_binary(spec, seccomp, [&] { ++sealed; });
    EXPECT_EQ(sealed, trampoline ? 0 : 1);
    return trampoline.has_value();
}

TEST(ExecTrampoline, ServesProfilesThatLetItsCallsThrough) {
    EXPECT_TRUE(chooses_trampoline(spec_with_profile("")));
    EXPECT_TRUE(chooses_trampoline(spec_with_profile(R"({"defaultAction":"SCMP_ACT_ALLOW"})")));
    // Docker's shape: errno by default, the calls a program needs allowed.
    EXPECT_TRUE(chooses_trampoline(spec_with_profile(
        R"({"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],)"
        R"("syscalls":[{"names":["execve","execveat","fcntl","exit_group"],)"
        R"("action":"SCMP_ACT_ALLOW"}]})")));
}

TEST(ExecTrampoline, LeavesProfilesThatWouldStopItToTheSealedBinary) {
    // execveat refused (a "no fileless execution" rule), execve allowed.
    EXPECT_FALSE(chooses_trampoline(
        spec_with_profile(R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["execveat"],)"
                          R"("action":"SCMP_ACT_ERRNO"}]})")));
    // fcntl missing from an allow list.
    EXPECT_FALSE(chooses_trampoline(spec_with_profile(
        R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["execve","execveat"],)"
        R"("action":"SCMP_ACT_ALLOW"}]})")));
    // execveat refused only with AT_EMPTY_PATH (0x1000): the decision sees the arguments.
    EXPECT_FALSE(chooses_trampoline(spec_with_profile(
        R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["execveat"],)"
        R"("action":"SCMP_ACT_ERRNO","args":[{"index":4,"value":4096,"valueTwo":4096,)"
        R"("op":"SCMP_CMP_MASKED_EQ"}]}]})")));
}

TEST(ExecTrampoline, LeavesLsmLabelsToTheSealedBinary) {
    hako::spec::Spec spec = spec_with_profile("");
    spec.process->apparmor_profile = "docker-default";
    EXPECT_FALSE(chooses_trampoline(spec));
    spec.process->apparmor_profile.clear();
    spec.process->selinux_label = "system_u:system_r:container_t:s0";
    EXPECT_FALSE(chooses_trampoline(spec));
    const hako::security::InitSeccomp none;
    EXPECT_THROW(hako::security::trampoline_or_sealed_binary(spec, none, {}), hako::Error);
}
