// The Figures module: pure statistics over a results document.
