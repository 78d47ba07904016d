// Routes between the workstation's views (hash history works under tessera:// and http alike).
import { createRouter, createWebHashHistory } from 'vue-router'
import ProjectsView from './views/ProjectsView.vue'

export const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/', redirect: '/projects' },
    { path: '/projects', name: 'projects', component: ProjectsView },
    { path: '/viewer/:slideId?', name: 'viewer', component: () => import('./views/SlideViewerView.vue') },
    { path: '/training', name: 'training', component: () => import('./views/TrainingView.vue') },
    { path: '/evaluation', name: 'evaluation', component: () => import('./views/EvaluationView.vue') },
    { path: '/models', name: 'models', component: () => import('./views/ModelsView.vue') }
  ]
})
