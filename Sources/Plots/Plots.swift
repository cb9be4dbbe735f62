// The Plots module draws what a training run wants to show: the loss curves of a language model
// (`lossPlotSVG`) and the confusion matrix of a classifier, as an SVG heat map
// (`confusionMatrixSVG`) and as a table for a terminal (`confusionMatrixText`). The SVG documents
// are written by hand (no plotting library); the table counts East Asian wide characters as two
// columns with the tokenizer's `terminalColumns`.
