#!/usr/bin/env bash
# Runs a libFuzzer target for a bounded time on a seed corpus made here (nothing is committed).
#   run_fuzzer.sh FUZZER CORPUS_DIR SECONDS
# Exit status: the fuzzer's (0 when it found nothing).
set -euo pipefail
fuzzer="$1"
corpus="$2"
seconds="$3"

rm -rf "$corpus"
mkdir -p "$corpus"
header='工号,姓名,邮箱,手机,部门,职务,直属上级工号,员工类型,入职日期,状态'
row1='001,张三,a@example.com,13812345678,总部/技术部/后端组,工程师,,正式,2024-03-01,在职'
row2='002,李四,b@example.com,13812345679,总部/技术部,经理,001,实习,2024/3/1,在职'
row3='003,"王, 五","say ""hi""
there",+86 139 1234 5678,总部,,002,外包,20240301,离职'
printf '%s\n%s\n%s\n' "$header" "$row1" "$row2" >"$corpus/lf.csv"
printf '%s\r\n%s\r\n%s\r\n%s\r\n' "$header" "$row1" "$row2" "$row3" >"$corpus/crlf.csv"
printf '\xEF\xBB\xBF%s\n%s' "$header" "$row1" >"$corpus/bom-no-final-newline.csv"
printf '%s\n%s\n%s\n' "$header" "$row1" "$row2" | iconv -f UTF-8 -t GB18030 >"$corpus/gb18030.csv"
printf '%s\n%s\n003,"cut' "$header" "$row1" >"$corpus/truncated.csv"
printf '%s\n%s\n%s\n' "$header" "$row1" "${row1/002/001}" >"$corpus/duplicate.csv"
printf '%s\n001,a,,,,,001,,,\n002,b,,,,,003,,,\n003,c,,,,,002,,,\n' "$header" >"$corpus/cycle.csv"
printf '%s\n' "$header" >"$corpus/header-only.csv"
: >"$corpus/empty.csv"

exec "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "$corpus"
