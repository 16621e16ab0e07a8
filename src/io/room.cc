// The io room; see include/gradlab/io/.
