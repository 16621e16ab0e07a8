#!/usr/bin/env bash
# Installs the build into a temporary prefix, then builds the README's "Use from your C++ project"
# example (its two code blocks, taken from the README) from outside the tree: once with CMake's
# find_package(gradlab), once with pkg-config. Both programs must print what the in-tree build of the
# same cell prints (examples/lesson_skip_connections.cc, its first line): the same library, the same
# default seed, so the same bits. When the build has the Python module, it must import from the prefix.
# Usage: package_test.sh SOURCE_DIR BUILD_DIR WORK_DIR IN_TREE_EXAMPLE
set -euo pipefail
source_dir=$1 build_dir=$2 work=$3 in_tree_example=$4

rm -rf "$work"
mkdir -p "$work/app"
cmake --install "$build_dir" --prefix "$work/prefix" >"$work/install.log"

extract() {
  awk -v tag="<!-- tested by tests/package/package_test.sh: $1 -->" '
    $0 == tag { state = 1; next }
    state == 1 && /^```/ { state = 2; next }
    state == 2 && /^```/ { exit }
    state == 2 { print }' "$source_dir/README.md"
}
for file in CMakeLists.txt app.cc; do
  extract "$file" >"$work/app/$file"
  [[ -s $work/app/$file ]] || { echo "README.md has no block tagged '$file' for this test" >&2; exit 1; }
done

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$work/app" -B "$work/app/build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$work/prefix" \
  "${launcher[@]}" >"$work/configure.log"
cmake --build "$work/app/build" >"$work/build.log"

pc_file=$(find "$work/prefix" -name gradlab.pc)
[[ -n $pc_file ]] || { echo "cmake --install wrote no gradlab.pc" >&2; exit 1; }
pkg_flags=$(PKG_CONFIG_PATH="$(dirname "$pc_file")" pkg-config --cflags --libs gradlab)
compiler=(c++)
command -v ccache >/dev/null && compiler=(ccache c++)
# shellcheck disable=SC2086  # pkg-config's output is a list of flags
"${compiler[@]}" -O2 "$work/app/app.cc" -o "$work/app/app_pkgconfig" $pkg_flags

expected=$("$in_tree_example" | head -n 1)
[[ $expected == "gradient norm for the input "* ]] || { echo "unexpected in-tree output: $expected" >&2; exit 1; }
status=0
for app in "$work/app/build/app" "$work/app/app_pkgconfig"; do
  got=$("$app")
  if [[ $got == "$expected" ]]; then
    echo "$app: $got"
  else
    echo "$app printed '$got', the in-tree build '$expected'" >&2
    status=1
  fi
done

# The Python module, when the build has it, imports from the installed prefix as well.
if compgen -G "$build_dir/python/gradlab*.so" >/dev/null; then
  module=$(find "$work/prefix" -name 'gradlab*.so' -path '*dist-packages*')
  [[ -n $module ]] || { echo "cmake --install did not install the Python module" >&2; exit 1; }
  python=$(sed -n 's/^Python_EXECUTABLE:FILEPATH=//p' "$build_dir/CMakeCache.txt")
  got=$(cd "$work" && PYTHONPATH="$(dirname "$module")" "${python:-python3}" -c \
    'import gradlab; print(gradlab.__file__.startswith("'"$work/prefix"'"), gradlab.reduce_sum([1.0, 2.0]).item())')
  if [[ $got == "True 3.0" ]]; then
    echo "$module: imports"
  else
    echo "the installed Python module printed '$got'" >&2
    status=1
  fi
fi
exit $status
