/*
 * bcryptprimitives.dll for wine 8 (Debian 12), so that Go programs start under it.
 *
 * Why: since Go 1.22 the Windows runtime gets its random bytes from ProcessPrng in
 * bcryptprimitives.dll (the documented, never-failing user-mode CSPRNG of Windows 10+). It loads
 * that DLL at start-up from system32 only (LoadLibraryExW with LOAD_LIBRARY_SEARCH_SYSTEM32) and
 * throws "fatal error: ... bcryptprimitives.dll" when it is missing. Wine 8.0 ships no
 * bcryptprimitives.dll (wine 9 added one), so every Go test binary dies before main. Copied into
 * the prefix's drive_c/windows/system32 (scripts/wine/prefix.sh), this DLL takes its place.
 *
 * What: ProcessPrng(PBYTE, SIZE_T) -> BOOL, filled by advapi32's SystemFunction036, better known
 * as RtlGenRandom, which wine 8 has (it reads the host's random source). RtlGenRandom takes a ULONG
 * length, so larger requests are served in chunks. The real ProcessPrng never fails (it kills the
 * process instead); we report FALSE if RtlGenRandom ever does, and Go's runtime then aborts too.
 *
 * For tests under wine only: nothing built for users contains or loads this file.
 * Build (prefix.sh does): x86_64-w64-mingw32-gcc -shared -nostdlib -O2 -s
 *   -Wl,--entry,DllMain -o bcryptprimitives.dll processprng.c processprng.def -ladvapi32
 * -nostdlib: no C runtime, so the DLL imports advapi32 only.
 */
#include <windows.h>

/* advapi32's export: RtlGenRandom is its name in the SDK's ntsecapi.h, declared here directly. */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size)
{
	while (size > 0) {
		ULONG n = size > 0x40000000 ? 0x40000000 : (ULONG)size;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		size -= n;
	}
	return TRUE;
}

/* No C runtime to initialise (-nostdlib), so the entry point has nothing to do. */
BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
	(void)instance;
	(void)reason;
	(void)reserved;
	return TRUE;
}
