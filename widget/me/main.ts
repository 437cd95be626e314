// The frame's theme (colours, fields, buttons, alerts), then this page's own layout.
import '../frame/styles.css';
import './styles.css';
import './me-app.ts';
