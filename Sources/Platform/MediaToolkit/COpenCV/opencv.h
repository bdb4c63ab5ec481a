// OpenCV is C++; Swift reaches it through CVisionShim. This module exists so that SwiftPM
// asks pkg-config (opencv4) for the compile and link flags of the shim.
