#!/usr/bin/env python3
"""The link order of hako's hot code, from the addresses trace_code.c recorded.

  order.py text-range BIN          prints the executable segment's start and end (hex)
  order.py symbols BIN ADDRESSES   prints, once each, the function symbols those addresses
                                   fall in, in the order of the addresses (first run first)

BIN must be the binary the addresses were recorded from. The symbol names are what lld's
--symbol-ordering-file takes: it places the sections holding them first, in this order.
"""
import bisect
import subprocess
import sys


def executable_segment(binary):
    out = subprocess.run(["readelf", "-lW", binary], check=True, capture_output=True,
                         text=True).stdout
    for line in out.splitlines():
        fields = line.split()
        # LOAD offset vaddr paddr filesz memsz flags... ("R E" is two fields)
        if fields and fields[0] == "LOAD" and "E" in fields[6:-1]:
            start = int(fields[2], 16)
            return start, start + int(fields[5], 16)
    sys.exit("order.py: no executable LOAD segment in %s" % binary)


def function_symbols(binary):
    out = subprocess.run(["nm", "-n", "-S", "--defined-only", binary], check=True,
                         capture_output=True, text=True).stdout
    symbols = []
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 4 and fields[2] in "tTwWiI":
            symbols.append((int(fields[0], 16), max(int(fields[1], 16), 1), fields[3]))
    return symbols


def ordered_symbols(binary, addresses_file):
    symbols = function_symbols(binary)
    starts = [start for start, _, _ in symbols]
    seen = set()
    names = []
    with open(addresses_file) as f:
        for line in f:
            address = int(line, 16)
            i = bisect.bisect_right(starts, address) - 1
            if i < 0 or address >= symbols[i][0] + symbols[i][1]:
                continue  # between symbols: alignment padding or a hand-written stub
            name = symbols[i][2]
            if name not in seen:
                seen.add(name)
                names.append(name)
    return names


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "text-range":
        start, end = executable_segment(sys.argv[2])
        print("%x %x" % (start, end))
    elif len(sys.argv) == 4 and sys.argv[1] == "symbols":
        for name in ordered_symbols(sys.argv[2], sys.argv[3]):
            print(name)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
