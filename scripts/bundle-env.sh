# Sourced by the bundle's cltrain launcher and gpu-check (scripts/bundle copies it in as env.sh; gpu-check also
# sources it from scripts/ when run outside a bundle). It
#   1. unpacks the bundle's cltrain.gz on first use, into the bundle's .unpacked/ (a temporary folder where the
#      bundle is read-only), and exports CLTRAIN_BINARY;
#   2. finds the machine's OpenCL drivers: the ICD registry (/etc/OpenCL/vendors, or $OCL_ICD_VENDORS), and
#      NVIDIA's, AMD's and Intel's ICD libraries in the library path (LD_LIBRARY_PATH, ldconfig's cache) and the
#      usual driver folders (/usr/local/nvidia/lib64 among them: GPU containers mount the driver there without
#      registering it). It registers every one found for the bundle's loader only (OCL_ICD_VENDORS), adds their
#      folders to LD_LIBRARY_PATH for their own dependencies (libcuda.so.1 beside libnvidia-opencl.so.1), and
#      writes what it looked for, where, and what it found to $CLTRAIN_DRIVER_REPORT (JSON, for gpu-check).
# OPENCL_DRIVER may name one more ICD library (a file name or a path).
if [ "${CLTRAIN_BUNDLE_ENV:-}" != "${BASH_SOURCE[0]}" ]; then
export CLTRAIN_BUNDLE_ENV="${BASH_SOURCE[0]}"
cltrain_here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# State of this machine's runs: beside the bundle where it is writable.
if mkdir -p "$cltrain_here/.unpacked" 2>/dev/null && [ -w "$cltrain_here/.unpacked" ]; then
    cltrain_state="$cltrain_here/.unpacked"
else
    cltrain_state="$(mktemp -d "${TMPDIR:-/tmp}/cltrain-bundle.XXXXXX")"
fi

# 1. The binary, unpacked through a temporary name so a second run never starts a half-written file.
if [ -f "$cltrain_here/cltrain.gz" ]; then
    export CLTRAIN_BINARY="$cltrain_state/cltrain"
    if [ ! -x "$CLTRAIN_BINARY" ] || [ "$cltrain_here/cltrain.gz" -nt "$CLTRAIN_BINARY" ]; then
        gzip -dc "$cltrain_here/cltrain.gz" >"$CLTRAIN_BINARY.$$" && chmod +x "$CLTRAIN_BINARY.$$" \
            && mv -f "$CLTRAIN_BINARY.$$" "$CLTRAIN_BINARY" \
            || echo "env.sh: cannot unpack $cltrain_here/cltrain.gz into $cltrain_state" >&2
    fi
fi
[ -f "$cltrain_here/lib/libOpenCL.so.1" ] && export CLTRAIN_OPENCL_LIBRARY="$cltrain_here/lib/libOpenCL.so.1"

# 2. The drivers.
cltrain_names=(libnvidia-opencl.so.1 libamdocl64.so libamdocl-orca64.so libigdrcl.so libintelocl.so)
cltrain_vendors=(nvidia amd amd intel intel)
cltrain_folders=()
IFS=: read -r -a cltrain_path_folders <<<"${LD_LIBRARY_PATH:-}"
for cltrain_folder in "${cltrain_path_folders[@]}" /usr/local/nvidia/lib64 /usr/local/nvidia/lib \
    /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu /usr/lib64 /usr/lib /usr/local/lib /usr/local/cuda/lib64 \
    /opt/rocm/lib /opt/rocm/opencl/lib /opt/amdgpu/lib/x86_64-linux-gnu /opt/amdgpu-pro/lib/x86_64-linux-gnu \
    /opt/intel/oneapi/lib /opt/intel/opencl/lib64 /usr/lib/x86_64-linux-gnu/intel-opencl; do
    [ -n "$cltrain_folder" ] && cltrain_folders+=("$cltrain_folder")
done
cltrain_registry="${OCL_ICD_VENDORS:-/etc/OpenCL/vendors}"
[ -d "$cltrain_registry" ] || cltrain_registry=/etc/OpenCL/vendors
cltrain_vendor_dir="$cltrain_state/vendors"
rm -rf "$cltrain_vendor_dir" && mkdir -p "$cltrain_vendor_dir"

cltrain_json_registry=()
for cltrain_icd in "$cltrain_registry"/*.icd; do
    [ -f "$cltrain_icd" ] || continue
    cp "$cltrain_icd" "$cltrain_vendor_dir/"
    cltrain_json_registry+=("{\"file\": \"$cltrain_icd\", \"library\": \"$(head -n 1 "$cltrain_icd" | tr -d '"\\')\"}")
done

cltrain_ldconfig="$( (ldconfig -p || /sbin/ldconfig -p) 2>/dev/null)"
cltrain_json_found=()
cltrain_found_folders=()
for cltrain_i in "${!cltrain_names[@]}"; do
    cltrain_name="${cltrain_names[$cltrain_i]}"
    cltrain_path=""
    for cltrain_folder in "${cltrain_folders[@]}"; do
        if [ -e "$cltrain_folder/$cltrain_name" ]; then cltrain_path="$cltrain_folder/$cltrain_name"; break; fi
    done
    if [ -z "$cltrain_path" ]; then
        cltrain_path="$(awk -v name="$cltrain_name" '$1 == name && /x86-64/ { print $NF; exit }' <<<"$cltrain_ldconfig")"
    fi
    [ -n "$cltrain_path" ] || continue
    cltrain_json_found+=("{\"vendor\": \"${cltrain_vendors[$cltrain_i]}\", \"library\": \"$cltrain_path\"}")
    cltrain_found_folders+=("$(dirname "$cltrain_path")")
    # Registered by absolute path unless the registry names it already.
    grep -qs "$cltrain_name" "$cltrain_vendor_dir"/*.icd || echo "$cltrain_path" >"$cltrain_vendor_dir/found-$cltrain_name.icd"
done
if [ -n "${OPENCL_DRIVER:-}" ]; then
    echo "$OPENCL_DRIVER" >"$cltrain_vendor_dir/opencl-driver.icd"
    cltrain_json_found+=("{\"vendor\": \"OPENCL_DRIVER\", \"library\": \"$OPENCL_DRIVER\"}")
fi
export OCL_ICD_VENDORS="$cltrain_vendor_dir"
for cltrain_folder in "${cltrain_found_folders[@]}"; do
    case ":${LD_LIBRARY_PATH:-}:" in *":$cltrain_folder:"*) ;; *) export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$cltrain_folder" ;; esac
done

cltrain_quote() { local item first=1; printf '['; for item in "$@"; do ((first)) || printf ', '; first=0; printf '"%s"' "$item"; done; printf ']'; }
cltrain_join() { local IFS=,; echo "$*"; }
cltrain_registered="ICD registry $cltrain_registry: $( ((${#cltrain_json_registry[@]})) && cd "$cltrain_registry" && ls -- *.icd | tr '\n' ' ' | sed 's/ $//' || echo empty)"
if ((${#cltrain_json_found[@]})); then
    cltrain_message="vendor drivers found: $(printf '%s\n' "${cltrain_json_found[@]}" | sed 's/.*"library": "\(.*\)"}/\1/' | tr '\n' ' '); $cltrain_registered"
else
    cltrain_message="no NVIDIA, AMD or Intel OpenCL driver: looked for ${cltrain_names[*]} in ${cltrain_folders[*]} and ldconfig's cache ($( [ -n "$cltrain_ldconfig" ] && echo present || echo absent)); $cltrain_registered"
fi
export CLTRAIN_DRIVER_REPORT="$cltrain_state/opencl-drivers.json"
{
    echo "{"
    echo "\"registry_folder\": \"$cltrain_registry\","
    echo "\"registry\": [$(cltrain_join "${cltrain_json_registry[@]}")],"
    echo "\"looked_for\": $(cltrain_quote "${cltrain_names[@]}"),"
    echo "\"folders\": $(cltrain_quote "${cltrain_folders[@]}"),"
    echo "\"ldconfig_cache\": $([ -n "$cltrain_ldconfig" ] && echo true || echo false),"
    echo "\"found\": [$(cltrain_join "${cltrain_json_found[@]}")],"
    echo "\"loader\": \"${CLTRAIN_OPENCL_LIBRARY:-libOpenCL.so.1 from the system}\","
    echo "\"icd_files\": $(cltrain_quote $(cd "$cltrain_vendor_dir" && ls)),"
    echo "\"message\": \"$cltrain_message\""
    echo "}"
} >"$CLTRAIN_DRIVER_REPORT"
# Said only when there is no driver at all; gpu-check's summary always says it.
((${#cltrain_json_found[@]} + ${#cltrain_json_registry[@]})) || echo "env.sh: $cltrain_message" >&2
fi
