// The cgroup v2 device filter: a BPF_PROG_TYPE_CGROUP_DEVICE program assembled by hand (no
// libbpf: the program is a dozen instructions per rule) and attached to the container's cgroup.
//
// The kernel passes struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; } in R1,
// access_type holding the device type (BPF_DEVCG_DEV_*) in its low 16 bits and the access
// (BPF_DEVCG_ACC_*) in its high 16 bits. The program returns 1 to allow, 0 to deny.
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "cgroups/device_filter.hpp"
#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace hako::cgroups {
namespace {

// Registers of the program.
constexpr std::uint8_t kR0 = BPF_REG_0;  // return value
constexpr std::uint8_t kCtx = BPF_REG_1;
constexpr std::uint8_t kType = BPF_REG_2;
constexpr std::uint8_t kAccess = BPF_REG_3;
constexpr std::uint8_t kMajor = BPF_REG_4;
constexpr std::uint8_t kMinor = BPF_REG_5;
constexpr std::uint8_t kScratch = BPF_REG_1;  // the context is not needed after the prologue

constexpr std::uint8_t kAllAccess = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;

bpf_insn make(std::uint8_t code, std::uint8_t dst, std::uint8_t src, std::int16_t off,
              std::int32_t imm) {
    bpf_insn insn{};
    insn.code = code;
    insn.dst_reg = dst & 0xf;
    insn.src_reg = src & 0xf;
    insn.off = off;
    insn.imm = imm;
    return insn;
}

bpf_insn load_word(std::uint8_t dst, std::int16_t offset) {
    return make(BPF_LDX | BPF_MEM | BPF_W, dst, kCtx, offset, 0);
}

bpf_insn alu32_imm(std::uint8_t op, std::uint8_t dst, std::int32_t imm) {
    return make(BPF_ALU | op | BPF_K, dst, 0, 0, imm);
}

bpf_insn mov32_reg(std::uint8_t dst, std::uint8_t src) {
    return make(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0);
}

// A 32-bit compare (BPF_JMP32, Linux 5.1): the context fields are u32, and a 64-bit compare
// would sign-extend immediates of 2^31 and above.
bpf_insn jump32_imm(std::uint8_t op, std::uint8_t reg, std::uint32_t imm) {
    return make(BPF_JMP32 | op | BPF_K, reg, 0, 0, static_cast<std::int32_t>(imm));
}

void append_return(std::vector<bpf_insn>& program, bool allow) {
    program.push_back(make(BPF_ALU64 | BPF_MOV | BPF_K, kR0, 0, 0, allow ? 1 : 0));
    program.push_back(make(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
}

// One exception: every test that fails jumps past the block (to the next one).
void append_exception(std::vector<bpf_insn>& program, const DeviceCgroupModel::Exception& e,
                      bool default_allow) {
    std::vector<bpf_insn> block;
    block.push_back(jump32_imm(BPF_JNE, kType, e.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
    if (e.major >= 0) block.push_back(jump32_imm(BPF_JNE, kMajor, static_cast<std::uint32_t>(e.major)));
    if (e.minor >= 0) block.push_back(jump32_imm(BPF_JNE, kMinor, static_cast<std::uint32_t>(e.minor)));
    if (default_allow) {
        // Deny list: refuse when the request asks for any denied access.
        if (e.access != kAllAccess) {
            block.push_back(mov32_reg(kScratch, kAccess));
            block.push_back(alu32_imm(BPF_AND, kScratch, e.access));
            block.push_back(jump32_imm(BPF_JEQ, kScratch, 0));
        }
    } else if (e.access != kAllAccess) {
        // Allow list: allow when the request asks for nothing beyond the granted access.
        block.push_back(mov32_reg(kScratch, kAccess));
        block.push_back(alu32_imm(BPF_AND, kScratch, static_cast<std::uint8_t>(~e.access) & kAllAccess));
        block.push_back(jump32_imm(BPF_JNE, kScratch, 0));
    }
    append_return(block, !default_allow);
    for (std::size_t i = 0; i < block.size(); ++i) {
        if (BPF_CLASS(block[i].code) == BPF_JMP32) {
            block[i].off = static_cast<std::int16_t>(block.size() - i - 1);
        }
    }
    program.insert(program.end(), block.begin(), block.end());
}

long bpf(int command, bpf_attr& attr) {
    return ::syscall(SYS_bpf, command, &attr, sizeof(attr));
}

std::uint64_t address_of(const void* pointer) {
    return reinterpret_cast<std::uintptr_t>(pointer);
}

// The program ids attached to the directory itself (not inherited ones).
std::vector<std::uint32_t> attached_programs(int dir_fd, const std::string& dir) {
    std::array<std::uint32_t, 64> ids{};
    bpf_attr attr{};
    attr.query.target_fd = static_cast<std::uint32_t>(dir_fd);
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = address_of(ids.data());
    attr.query.prog_cnt = ids.size();
    if (bpf(BPF_PROG_QUERY, attr) < 0) throw_sys_error("bpf(BPF_PROG_QUERY, BPF_CGROUP_DEVICE)", dir);
    return std::vector<std::uint32_t>(
        ids.begin(), ids.begin() + std::min<std::size_t>(attr.query.prog_cnt, ids.size()));
}

sys::UniqueFd load_program(const std::vector<bpf_insn>& program) {
    static constexpr char kLicense[] = "Apache";
    bpf_attr attr{};
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = address_of(program.data());
    attr.insn_cnt = static_cast<std::uint32_t>(program.size());
    attr.license = address_of(kLicense);
    sys::UniqueFd fd(static_cast<int>(bpf(BPF_PROG_LOAD, attr)));
    if (fd) return fd;
    const int err = errno;
    // Load again with the verifier log, only to explain the refusal.
    std::string log(64 * 1024, '\0');
    attr.log_buf = address_of(log.data());
    attr.log_size = static_cast<std::uint32_t>(log.size());
    attr.log_level = 1;
    sys::UniqueFd retry(static_cast<int>(bpf(BPF_PROG_LOAD, attr)));
    log.resize(std::strlen(log.c_str()));
    while (!log.empty() && log.back() == '\n') log.pop_back();
    if (const auto last = log.rfind('\n'); last != std::string::npos) log.erase(0, last + 1);
    throw Error(fmt::format("bpf(BPF_PROG_LOAD) of the device filter ({} instructions): {}{}",
                            program.size(), std::strerror(err),
                            log.empty() ? "" : ": verifier: " + log),
                err);
}

}  // namespace

std::vector<bpf_insn> device_filter_program(const DeviceCgroupModel& model) {
    std::vector<bpf_insn> program = {
        load_word(kType, 0),
        alu32_imm(BPF_AND, kType, 0xFFFF),
        load_word(kAccess, 0),
        alu32_imm(BPF_RSH, kAccess, 16),
        load_word(kMajor, 4),
        load_word(kMinor, 8),
    };
    for (const auto& exception : model.exceptions()) {
        append_exception(program, exception, model.default_allow());
    }
    append_return(program, model.default_allow());
    return program;
}

void attach_device_filter(int dir_fd, const std::string& dir, const std::vector<bpf_insn>& program) {
    const std::vector<std::uint32_t> old_programs = attached_programs(dir_fd, dir);
    const sys::UniqueFd prog = load_program(program);

    bpf_attr attach{};
    attach.target_fd = static_cast<std::uint32_t>(dir_fd);
    attach.attach_bpf_fd = static_cast<std::uint32_t>(prog.get());
    attach.attach_type = BPF_CGROUP_DEVICE;
    attach.attach_flags = BPF_F_ALLOW_MULTI;
    if (bpf(BPF_PROG_ATTACH, attach) < 0) {
        throw_sys_error("bpf(BPF_PROG_ATTACH, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI)", dir);
    }
    // Attached filters must all allow an access, so an old one would keep denying what the
    // new rules allow: detach them now that the new one is in force.
    for (const std::uint32_t id : old_programs) {
        bpf_attr by_id{};
        by_id.prog_id = id;
        const sys::UniqueFd old(static_cast<int>(bpf(BPF_PROG_GET_FD_BY_ID, by_id)));
        if (!old) {
            if (errno == ENOENT) continue;  // gone meanwhile
            throw_sys_error(fmt::format("bpf(BPF_PROG_GET_FD_BY_ID, {})", id), dir);
        }
        bpf_attr detach{};
        detach.target_fd = static_cast<std::uint32_t>(dir_fd);
        detach.attach_bpf_fd = static_cast<std::uint32_t>(old.get());
        detach.attach_type = BPF_CGROUP_DEVICE;
        if (bpf(BPF_PROG_DETACH, detach) < 0 && errno != ENOENT) {
            throw_sys_error(fmt::format("bpf(BPF_PROG_DETACH) of device filter {}", id), dir);
        }
    }
}

}  // namespace hako::cgroups
