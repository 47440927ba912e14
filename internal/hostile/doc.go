// Package hostile holds the catalogue of hostile inputs the SDK is tested
// against (ROBUSTNESS.md is generated from it). It has no code of its own.
package hostile
