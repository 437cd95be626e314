import { Router } from 'express';
import type { Services } from '../services.ts';

// Placeholder until the widget lands (issue 3): the frame page and loader routes go here.
export function widgetRouter(_services: Services): Router {
  return Router();
}
