/**
 * The Home tab feature's public API: its listener (app_home_opened) and the model overviews it
 * shares with `/mlops models`.
 */
export { registerHomeListeners } from './register-home-listeners';
export { collectDashboard, collectModelOverviews } from './collect-dashboard';
